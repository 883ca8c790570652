package ai.hiformer.jobs.cluster;

import ai.hiformer.local.cluster.ClusterSettings;
import ai.hiformer.local.cluster.LocalCluster;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** What the process-cluster tests share: reading committed scores, waiting, free ports. */
final class ClusterTestKit {
  static final Duration DEADLINE = Duration.ofMinutes(3);

  private ClusterTestKit() {}

  /**
   * A started cluster of the built jars, its files in {@code home}: a JobManager (two and a
   * ZooKeeper server with {@code highAvailability}), 2 TaskManagers with 2 slots each, and {@code
   * brokers} Kafka brokers on free loopback ports.
   */
  static LocalCluster startCluster(Path home, int brokers, boolean highAvailability)
      throws Exception {
    // One run of free ports: brokers and their controllers, then REST, RPC (two of each with HA)
    // and ZooKeeper, so that no two of them can be handed the same port.
    int kafka = freePortRun(2 * brokers + 5);
    int rest = kafka + 2 * brokers;
    LocalCluster cluster =
        new LocalCluster(
            new ClusterSettings(
                home,
                Paths.get("../flink-dist/target/lib"),
                Paths.get("../local/target/lib"),
                Paths.get("target/hiformer-jobs-flink.jar"),
                kafka,
                rest,
                rest + 2,
                2,
                2,
                brokers,
                highAvailability ? rest + 4 : 0));
    cluster.start();
    return cluster;
  }

  /** As {@link #startCluster}, with the job's topics created (2 partitions each). */
  static LocalCluster startClusterWithTopics(Path home, int brokers, boolean highAvailability)
      throws Exception {
    LocalCluster cluster = startCluster(home, brokers, highAvailability);
    cluster.createTopics(2, "events", "labels", "scores", "dead-letters");
    return cluster;
  }

  /** The generated stream with its spec, specs/synthetic.json. */
  static ai.hiformer.local.embedded.ReplaySource syntheticSource() {
    Path spec = Paths.get("../specs/synthetic.json").toAbsolutePath().normalize();
    try {
      return new ai.hiformer.local.embedded.ReplaySource(
          null, spec, ai.hiformer.features.spec.FeatureSpec.load(spec));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** What a test does in the background, a paced replay say. */
  interface Work {
    void run() throws Exception;
  }

  /** Runs {@code work} on another thread; its failure fails the returned future. */
  static java.util.concurrent.CompletableFuture<Void> inBackground(Work work) {
    return java.util.concurrent.CompletableFuture.runAsync(
        () -> {
          try {
            work.run();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /**
   * SIGKILLs a TaskManager that runs {@code jobId}, starts it again, waits for {@code replay} to
   * end, and asserts that the job came back from a checkpoint and that read_committed consumers see
   * each of the {@code events} scores with {@code prefix} exactly once.
   */
  static void killATaskManagerAndAssertEachScoredOnce(
      LocalCluster cluster,
      String jobId,
      java.util.concurrent.CompletableFuture<Void> replay,
      String prefix,
      int events)
      throws Exception {
    int victim = cluster.taskManagersOf(jobId).first();
    org.assertj.core.api.Assertions.assertThat(cluster.killTaskManager(victim))
        .as("TaskManager %d was running", victim)
        .isTrue();
    cluster.startTaskManager(victim);
    replay.get();
    Map<String, Integer> scores = awaitScoresSettled(cluster, jobId, prefix, events);
    org.assertj.core.api.Assertions.assertThat(scores).hasSize(events);
    org.assertj.core.api.Assertions.assertThat(scores.values())
        .as("scores per request id")
        .allMatch(c -> c == 1);
    org.assertj.core.api.Assertions.assertThat(
            cluster.checkpoints(jobId).path("counts").path("restored").asInt())
        .as("the job restarted from a checkpoint")
        .isGreaterThanOrEqualTo(1);
  }

  /**
   * Stops the cluster and deletes its folder, unless {@code -Dhiformer.keepCluster=true} keeps it
   * to read its logs.
   */
  static void stopAndDelete(LocalCluster cluster, Path home, String test)
      throws InterruptedException {
    if (cluster != null) {
      cluster.stop();
    }
    if (!Boolean.getBoolean("hiformer.keepCluster")) {
      ai.hiformer.features.io.Folders.deleteTreeQuietly(home, test);
    }
  }

  /**
   * The job's arguments the cluster tests start from: conf/job.properties, the cluster's brokers
   * and folders, {@code model} with {@code spec}, two scoring replicas, 1 s checkpoints, a snapshot
   * every 512 examples, no deltas and no quality gate; then {@code more} (a later key wins).
   */
  static List<String> jobArgs(
      LocalCluster cluster, Path spec, String model, int parallelism, String... more) {
    List<String> args =
        cluster.jobArgs(
            Paths.get("../conf/job.properties").toAbsolutePath().normalize(), spec, parallelism);
    args.addAll(
        List.of(
            "--job.model-ids=" + model,
            "--scoring.parallelism=2", // scoring replicas on both TaskManagers while they live
            "--checkpoint.interval-ms=1000",
            "--snapshot.every-examples=512",
            "--sync.delta-interval-ms=0",
            // The tests read the learner's counters from the newest snapshot, and a version held
            // back would stop them: every version is published. The gate has tests of its own.
            "--quality.window=0"));
    args.addAll(List.of(more));
    return args;
  }

  interface Check {
    boolean holds() throws Exception;
  }

  /** All committed scores: request id → the model versions it was scored with. */
  static Map<String, List<Long>> readScores(LocalCluster cluster) throws Exception {
    WireCodec<Score> codec = WireCodec.scores();
    Map<String, List<Long>> out = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        EmbeddedKafka.readCommittedRecords(
            cluster.settings().bootstrapServers(), "scores", Duration.ofMillis(1500))) {
      Score s = codec.decode(r.value());
      out.computeIfAbsent(s.getRequestId(), k -> new ArrayList<>()).add(s.getModelVersion());
    }
    return out;
  }

  /**
   * Waits until at least {@code n} request ids with the prefix are scored; returns their score
   * counts.
   */
  static Map<String, Integer> awaitScores(LocalCluster cluster, String jobId, String prefix, int n)
      throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    Map<String, Integer> counts = Map.of();
    while (System.nanoTime() < deadline) {
      counts = new HashMap<>();
      for (Map.Entry<String, List<Long>> e : readScores(cluster).entrySet()) {
        if (e.getKey().startsWith(prefix)) {
          counts.put(e.getKey(), e.getValue().size());
        }
      }
      if (counts.size() >= n) {
        return counts;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError(
        "only "
            + counts.size()
            + " of "
            + n
            + " '"
            + prefix
            + "' events were scored within "
            + DEADLINE.toMinutes()
            + " min; job state "
            + cluster.jobState(jobId)
            + "; logs in "
            + cluster.settings().logs());
  }

  /**
   * As {@link #awaitScores}, then waits for a quiet period (two more completed checkpoints, so that
   * every transaction the job had open has committed or aborted) and reads everything again: a
   * duplicate committed after the first read reached {@code n} ids is seen.
   */
  static Map<String, Integer> awaitScoresSettled(
      LocalCluster cluster, String jobId, String prefix, int n) throws Exception {
    awaitScores(cluster, jobId, prefix, n);
    long completed = cluster.checkpoints(jobId).path("counts").path("completed").asLong();
    awaitCondition(
        () -> cluster.checkpoints(jobId).path("counts").path("completed").asLong() >= completed + 2,
        "two more checkpoints after " + n + " '" + prefix + "' scores");
    return awaitScores(cluster, jobId, prefix, n);
  }

  /** Checks every 250 ms (plus what the check takes) until it holds, for up to 3 minutes. */
  static void awaitCondition(Check check, String what) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      if (check.holds()) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("not reached: " + what);
  }

  /**
   * A port p with the {@code n - 1} ports after it free too (brokers and their controllers), below
   * the kernel's ephemeral range (32768 on): a port there can be taken between the check and the
   * start by the local end of any outgoing connection, the brokers' own among them.
   */
  static int freePortRun(int n) throws IOException {
    java.util.SplittableRandom random = new java.util.SplittableRandom();
    for (int attempt = 0; attempt < 50; attempt++) {
      int p = 20_000 + random.nextInt(12_000 - n);
      List<ServerSocket> held = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          held.add(new ServerSocket(p + i));
        }
        return p;
      } catch (IOException e) {
        // taken; try another
      } finally {
        for (ServerSocket s : held) {
          s.close();
        }
      }
    }
    throw new IOException("no run of " + n + " free ports");
  }
}
