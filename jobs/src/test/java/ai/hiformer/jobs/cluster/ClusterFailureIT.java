package ai.hiformer.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.local.cluster.DashboardPreview;
import ai.hiformer.local.cluster.PrometheusServer;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.embedded.Replayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The failures a cluster has, on a real one: a standalone Flink cluster (JobManager + 2
 * TaskManagers, 2 slots each) and a Kafka broker, each its own process, the job submitted as its
 * shaded jar through Flink's CLI. Events stream in while a TaskManager is SIGKILLed, while the
 * broker restarts (SIGTERM) and is killed (SIGKILL), and across a stop with a savepoint and a
 * resume at another parallelism; every event must be scored exactly once (read_committed), by two
 * scoring subtasks with replicas of the learner's model, and the models must carry on from their
 * state. Last, the same job as two (job.role=learn and score) across a TaskManager kill.
 *
 * <p>The tests run in order on one cluster (starting one takes ~30 s); each uses its own request
 * ids.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailureIT {
  private static final String MODEL = "synthetic";

  @RegisterExtension static final ProcessCluster CLUSTER = new ProcessCluster(1, false);

  private static String jobId;
  private static final ReplaySource SOURCE = ClusterTestKit.syntheticSource();

  @BeforeAll
  static void loadStreamAndSubmit() throws Exception {
    jobId = CLUSTER.get().submit(2, null, jobArgs(2));
  }

  /**
   * Every query of the dashboard (dashboards/hiformer.json, provisioned in docker-compose) returns
   * data from a real Prometheus scraping this cluster while events stream in.
   */
  @Test
  @Order(0)
  void everyDashboardQueryReturnsDataWhileTheJobRuns() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isExecutable(PrometheusServer.BINARY),
        "skipped: no " + PrometheusServer.BINARY + " (Debian: apt-get install prometheus)");
    List<String> queries = new ArrayList<>();
    for (com.fasterxml.jackson.databind.JsonNode panel :
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(Paths.get("../dashboards/hiformer.json").toFile())
            .path("panels")) {
      panel.path("targets").forEach(t -> queries.add(t.path("expr").asText()));
    }
    assertThat(queries).hasSizeGreaterThanOrEqualTo(10);
    java.time.Instant started = java.time.Instant.now();
    CompletableFuture<Void> replay = replayAsync("dash-", 3000, 500);
    try (PrometheusServer prometheus = new PrometheusServer(CLUSTER.home().resolve("prometheus"))) {
      List<String> empty = new ArrayList<>(queries);
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (!empty.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(2000);
        List<String> still = new ArrayList<>();
        for (String q : empty) {
          if (prometheus.query(q).isEmpty()) {
            still.add(q);
          }
        }
        empty = still;
      }
      assertThat(empty).as("dashboard queries without data").isEmpty();
      // The dashboard's picture (the README shows one): every panel draws at least one series.
      List<DashboardPreview.Drawn> drawn =
          DashboardPreview.render(
              Paths.get("../dashboards/hiformer.json"),
              prometheus::queryRange,
              started,
              java.time.Instant.now(),
              CLUSTER.home().resolve("dashboard.png"));
      assertThat(drawn).hasSize(queries.size()).allMatch(d -> d.series() >= 1);
    }
    replay.get();
    awaitScoresSettled("dash-", 3000);
  }

  @Test
  @Order(1)
  void aTaskManagerKilledMidStreamLosesAndDuplicatesNoScore() throws Exception {
    CompletableFuture<Void> replay = replayAsync("tm-", 6000, 1000);
    awaitScores("tm-", 1500); // mid-stream, with checkpoints behind it
    java.util.SortedSet<Integer> hosts = CLUSTER.get().taskManagersOf(jobId);
    assertThat(hosts).as("the job's slots are spread over both TaskManagers").containsExactly(1, 2);
    assertThat(CLUSTER.get().killTaskManager(1)).as("TaskManager 1 was running").isTrue();
    replay.get();

    Map<String, Integer> counts = awaitScoresSettled("tm-", 6000);
    assertThat(counts).hasSize(6000);
    assertThat(counts.values()).as("scores per request id").allMatch(c -> c == 1);
    assertThat(CLUSTER.get().checkpoints(jobId).path("counts").path("restored").asInt())
        .as("the job restarted from a checkpoint")
        .isGreaterThanOrEqualTo(1);
    // The JobManager drops the dead TaskManager at its heartbeat timeout; the job may restart once
    // more if it had been redeployed onto the dead one's slots before that. It settles on the
    // survivor.
    awaitRunningOnlyOn(2);
    assertThat(CLUSTER.get().rest("/overview").path("taskmanagers").asInt())
        .as("left to run on")
        .isEqualTo(1);
  }

  @Test
  @Order(2)
  void aKafkaRestartLosesNothing() throws Exception {
    brokerFailureLosesNothing("kafka-", true);
  }

  @Test
  @Order(3)
  void aKilledKafkaBrokerLosesNothing() throws Exception {
    brokerFailureLosesNothing("kafka-killed-", false);
  }

  /** The broker stops mid-stream (SIGTERM, or SIGKILL like a lost machine) and comes back. */
  private static void brokerFailureLosesNothing(String prefix, boolean graceful) throws Exception {
    CompletableFuture<Void> replay = replayAsync(prefix, 4000, 500);
    awaitScores(prefix, 800);
    CLUSTER.get().stopKafka(graceful);
    CLUSTER.get().startKafka();
    replay.get();

    Map<String, Integer> counts = awaitScoresSettled(prefix, 4000);
    assertThat(counts).hasSize(4000);
    assertThat(counts.values()).as("scores per request id").allMatch(c -> c == 1);
    awaitRunningOnlyOn(2);
  }

  @Test
  @Order(4)
  void aStopWithSavepointResumedAtAnotherParallelismContinuesTheModels() throws Exception {
    replayAsync("before-", 1000, 0).get();
    awaitScores("before-", 1000);
    String savepoint = CLUSTER.get().stopWithSavepoint(jobId);
    String stopped = jobId;
    ClusterTestKit.awaitCondition(
        () -> CLUSTER.get().jobState(stopped).equals("FINISHED"),
        "job " + stopped + " FINISHED after stop");
    long versionBefore = maxVersion();
    ModelSnapshot newestBefore = newestSnapshot();

    jobId = CLUSTER.get().submit(1, savepoint, jobArgs(1));
    replayAsync("after-", 2000, 0).get();
    Map<String, Integer> counts = awaitScoresSettled("after-", 2000);
    assertThat(counts.values()).as("scores per request id").allMatch(c -> c == 1);

    // A model restarted from scratch would score at version 0 and snapshot from version 1 again.
    assertThat(minVersion("after-"))
        .as("model version after the resume")
        .isGreaterThanOrEqualTo(versionBefore);
    ModelSnapshot newestAfter = awaitSnapshotBeyond(newestBefore.modelVersion());
    assertThat(newestAfter.position().examplesTrained())
        .as("examples trained carry on")
        .isGreaterThan(newestBefore.position().examplesTrained());
    assertThat(
            CLUSTER
                .get()
                .rest("/jobs/" + jobId)
                .path("vertices")
                .get(0)
                .path("parallelism")
                .asInt())
        .isEqualTo(1);
  }

  /**
   * Learning and scoring as two jobs (job.role=learn and score, the update topic between them): a
   * TaskManager that hosts the scoring job is killed mid-stream and comes back (as a supervisor
   * would restart it); every event is still scored exactly once, the scoring job having restored
   * from its checkpoint and rebuilt its replicas from the topic. Runs last: it replaces the single
   * job of the tests above.
   */
  @Test
  @Order(5)
  void twoJobsScoreEveryEventOnceAcrossATaskManagerKill() throws Exception {
    CLUSTER.get().cancel(jobId);
    ClusterTestKit.awaitCondition(
        () -> CLUSTER.get().jobState(jobId).equals("CANCELED"), "the single job cancelled");
    CLUSTER.get().startTaskManager(1); // back to two TaskManagers (the first test killed one)
    ClusterTestKit.awaitCondition(
        () -> CLUSTER.get().rest("/overview").path("taskmanagers").asInt() == 2,
        "two TaskManagers");
    CLUSTER.get().createTopics(1, "model-updates");
    List<String> twoJobs =
        List.of(
            "--topics.model-updates=model-updates",
            "--updates.base-slices=4",
            "--snapshot.dir=" + CLUSTER.get().settings().snapshots().resolve("two-jobs"));
    String learner = CLUSTER.get().submit(1, null, concat(jobArgs(1), twoJobs, "--job.role=learn"));
    jobId = CLUSTER.get().submit(1, null, concat(jobArgs(1), twoJobs, "--job.role=score"));
    String scorer = jobId;

    CompletableFuture<Void> replay = replayAsync("two-", 5000, 1000);
    awaitScores("two-", 1000);
    ClusterTestKit.killATaskManagerAndAssertEachScoredOnce(
        CLUSTER.get(), scorer, replay, "two-", 5000);
    assertThat(CLUSTER.get().jobState(learner)).as("the learning job").isEqualTo("RUNNING");
  }

  private static Map<String, List<Long>> readScores() throws Exception {
    return ClusterTestKit.readScores(CLUSTER.get());
  }

  private static Map<String, Integer> awaitScores(String prefix, int n) throws Exception {
    return ClusterTestKit.awaitScores(CLUSTER.get(), jobId, prefix, n);
  }

  private static Map<String, Integer> awaitScoresSettled(String prefix, int n) throws Exception {
    return ClusterTestKit.awaitScoresSettled(CLUSTER.get(), jobId, prefix, n);
  }

  private static List<String> concat(List<String> a, List<String> b, String last) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    all.add(last);
    return all;
  }

  // -----------------------------------------------------------------------------------------------
  // helpers

  private static List<String> jobArgs(int parallelism) {
    return ClusterTestKit.jobArgs(CLUSTER.get(), SOURCE.specPath(), MODEL, parallelism);
  }

  private static CompletableFuture<Void> replayAsync(String prefix, int events, int rate) {
    Properties p = CLUSTER.clientProperties();
    return ClusterTestKit.inBackground(
        () -> new Replayer(SOURCE, MODEL).replay(p, "events", prefix, events, rate, (id, y) -> {}));
  }

  /** Waits until the job runs and all its tasks are on TaskManager {@code n}. */
  private static void awaitRunningOnlyOn(int n) throws Exception {
    long deadline = System.nanoTime() + ClusterTestKit.DEADLINE.toNanos();
    String state = "";
    java.util.SortedSet<Integer> on = new java.util.TreeSet<>();
    while (System.nanoTime() < deadline) {
      state = CLUSTER.get().jobState(jobId);
      on = state.equals("RUNNING") ? CLUSTER.get().taskManagersOf(jobId) : on;
      if (state.equals("RUNNING")
          && on.equals(new java.util.TreeSet<>(List.of(n)))
          && CLUSTER.get().rest("/overview").path("taskmanagers").asInt() == 1) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        "job " + state + " on TaskManagers " + on + ", expected RUNNING on [" + n + "]");
  }

  private static long maxVersion() throws Exception {
    return readScores().values().stream()
        .flatMap(List::stream)
        .mapToLong(Long::longValue)
        .max()
        .orElse(0);
  }

  private static long minVersion(String prefix) throws Exception {
    return readScores().entrySet().stream()
        .filter(e -> e.getKey().startsWith(prefix))
        .flatMap(e -> e.getValue().stream())
        .mapToLong(Long::longValue)
        .min()
        .orElseThrow();
  }

  private static ModelSnapshot newestSnapshot() throws IOException {
    Path dir = CLUSTER.get().settings().snapshots().resolve(MODEL);
    Path newest =
        ModelSnapshot.newest(dir).orElseThrow(() -> new AssertionError("no snapshot in " + dir));
    return ModelSnapshot.read(newest, ai.hiformer.model.optim.OptimizerConfig.defaults());
  }

  private static ModelSnapshot awaitSnapshotBeyond(long version) throws Exception {
    long deadline = System.nanoTime() + ClusterTestKit.DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      ModelSnapshot s = newestSnapshot();
      if (s.modelVersion() > version) {
        return s;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no snapshot beyond version " + version);
  }
}
