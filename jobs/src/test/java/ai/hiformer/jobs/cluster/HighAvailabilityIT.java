package ai.hiformer.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.local.chaos.RunHistory;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.embedded.Replayer;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A cluster without a single point of failure, as {@code hiformer cluster start --ha --brokers 3}
 * runs it: three KRaft brokers (each its own process, topics replicated 3 times with 2 in-sync
 * replicas required), two Flink JobManagers electing their leader in ZooKeeper, and 2 TaskManagers.
 * While a paced stream of events flows, three machines die by SIGKILL one after the other: the
 * broker leading the events partition, then (that broker back) the leading JobManager, then (that
 * JobManager back as the standby) the broker leading the scores partition. The job is never
 * resubmitted. Every event is still scored exactly once (read_committed), and the model carries on
 * from its checkpoints: the examples it has trained only grow, to every example sent.
 */
class HighAvailabilityIT {
  private static final String MODEL = "synthetic";
  private static final int EVENTS = 9000;

  @RegisterExtension static final ProcessCluster CLUSTER = new ProcessCluster(3, true);

  private static final ReplaySource SOURCE = ClusterTestKit.syntheticSource();

  @Test
  void brokersAndJobManagerKilledMidStreamLoseAndDuplicateNoScore() throws Exception {
    String jobId = CLUSTER.get().submit(2, null, jobArgs());
    Properties producer = CLUSTER.clientProperties();
    // Warm-up: the scorers wait for the learner's first model update before they score anything.
    new Replayer(SOURCE, MODEL).replay(producer, "events", "warm-", 500, 0, (id, y) -> {});
    ClusterTestKit.awaitScores(CLUSTER.get(), jobId, "warm-", 500);
    long restoredBefore = restored(jobId);
    AtomicInteger sent = new AtomicInteger();
    CompletableFuture<Void> replay =
        ClusterTestKit.inBackground(
            () ->
                new Replayer(SOURCE, MODEL)
                    .replay(
                        producer,
                        "events",
                        "rep-",
                        EVENTS,
                        500,
                        (id, y) -> sent.incrementAndGet()));
    // Kills timed by what the producer has sent, so that they fall mid-stream.
    ClusterTestKit.awaitCondition(() -> sent.get() >= 1500, "1,500 events sent");
    long trainedBefore = examplesTrained();
    int eventsLeader = CLUSTER.get().leaderOf("events", partitionWithData("events"));
    assertThat(CLUSTER.get().killBroker(eventsLeader))
        .as("broker %d was running", eventsLeader)
        .isTrue();

    ClusterTestKit.awaitCondition(() -> sent.get() >= 4000, "4,000 events sent");
    CLUSTER.get().startBroker(eventsLeader);
    int leader = CLUSTER.get().leadingJobManager().orElseThrow();
    assertThat(CLUSTER.get().killJobManager(leader))
        .as("JobManager %d was running", leader)
        .isTrue();

    ClusterTestKit.awaitCondition(() -> sent.get() >= 6500, "6,500 events sent");
    CLUSTER
        .get()
        .startJobManager(leader); // back as the standby, or the leader if none is elected yet
    int scoresLeader = CLUSTER.get().leaderOf("scores", partitionWithData("scores"));
    assertThat(CLUSTER.get().killBroker(scoresLeader))
        .as("broker %d was running", scoresLeader)
        .isTrue();
    replay.get();
    assertThat(sent.get()).as("events sent while machines died").isEqualTo(EVENTS);
    CLUSTER.get().startBroker(scoresLeader);

    Map<String, Integer> counts =
        ClusterTestKit.awaitScoresSettled(CLUSTER.get(), jobId, "rep-", EVENTS);
    assertThat(counts).hasSize(EVENTS);
    assertThat(counts.values()).as("scores per request id").allMatch(c -> c == 1);
    // The same job, taken over by the new leader from its last checkpoint (not resubmitted, not
    // started afresh).
    assertThat(CLUSTER.get().jobState(jobId)).isEqualTo("RUNNING");
    assertThat(restored(jobId)).as("restores from a checkpoint").isGreaterThan(restoredBefore);
    // The learner reads the events on its own: it may catch up after the scorers. It learns every
    // example (a snapshot every 512), carrying on from where it was, never from scratch.
    ClusterTestKit.awaitCondition(
        () -> examplesTrained() >= 500 + EVENTS - 512, "a snapshot of every example learned");
    assertThat(examplesTrained())
        .as("examples trained only grow, past those before the first kill")
        .isGreaterThan(trainedBefore);
  }

  /** How many times the job has restored from a checkpoint (its REST checkpoint statistics). */
  private static long restored(String jobId) throws Exception {
    return CLUSTER.get().checkpoints(jobId).path("counts").path("restored").asLong();
  }

  private static List<String> jobArgs() {
    return ClusterTestKit.jobArgs(CLUSTER.get(), SOURCE.specPath(), MODEL, 2);
  }

  /** The partition of {@code topic} that holds records (the stream has one key: one partition). */
  private static int partitionWithData(String topic) throws Exception {
    try (Admin admin =
        Admin.create(Map.of("bootstrap.servers", CLUSTER.get().settings().bootstrapServers()))) {
      for (int p = 0; p < 2; p++) {
        TopicPartition tp = new TopicPartition(topic, p);
        long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
        if (end > 0) {
          return p;
        }
      }
    }
    throw new AssertionError("no record in " + topic);
  }

  /** Examples trained as the newest snapshot records them (0 before the first). */
  private static long examplesTrained() throws Exception {
    return RunHistory.newestSnapshot(CLUSTER.get().settings().snapshots(), MODEL)
        .map(s -> s.position().examplesTrained())
        .orElse(0L);
  }
}
