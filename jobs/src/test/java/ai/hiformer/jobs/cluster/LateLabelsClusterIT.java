package ai.hiformer.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.local.chaos.EventTimeNudge;
import ai.hiformer.local.chaos.RunHistory;
import ai.hiformer.local.cluster.JobTopics;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.embedded.Replayer;
import ai.hiformer.local.traffic.DelayedLabels;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Late labels on a real cluster (JobManager + 2 TaskManagers and a Kafka broker, each its own
 * process): the generated stream's impressions on the events topic, their positive labels on the
 * labels topic after exponential delays (mean = the join window, so about 37 % arrive after it),
 * the job in {@code join.mode = window-fnw} with a 7-day attribution window in event time. A
 * TaskManager is SIGKILLed mid-stream. Afterwards every event is scored exactly once
 * (read_committed), every impression is learned once and every late positive once more: the model's
 * counts equal those of the traffic, neither lost nor doubled by the restart.
 */
class LateLabelsClusterIT {
  private static final String MODEL = "late";
  private static final int EVENTS = 4000;
  private static final long WINDOW_MS = 20_000; // event time: the stream's events are ~15 s apart
  private static final long SEVEN_DAYS_MS = 7L * 24 * 3600 * 1000;
  private static final int TAIL = 20;

  @RegisterExtension static final ProcessCluster CLUSTER = new ProcessCluster(1, false);

  private static final ReplaySource SOURCE = ClusterTestKit.syntheticSource();

  @Test
  void latePositivesAreLearnedOnceMoreExactlyOnceAcrossATaskManagerKill() throws Exception {
    String jobId = CLUSTER.get().submit(2, null, jobArgs());
    Properties producer = CLUSTER.clientProperties();
    CompletableFuture<Void> replay =
        ClusterTestKit.inBackground(
            () ->
                new Replayer(SOURCE, MODEL)
                    .replay(
                        producer,
                        "events",
                        "labels",
                        new DelayedLabels(WINDOW_MS, 11),
                        "late-",
                        EVENTS,
                        500,
                        (id, y) -> {}));
    ClusterTestKit.awaitScores(
        CLUSTER.get(), jobId, "late-", 1200); // mid-stream, checkpoints behind
    ClusterTestKit.killATaskManagerAndAssertEachScoredOnce(
        CLUSTER.get(), jobId, replay, "late-", EVENTS);

    // Flink's REST API serves metrics fetched every few seconds: wait for both gauges. A job
    // restored after the stream counts a model's held impressions once its join is touched again:
    // a label of no impression at the stream's start touches it and moves no watermark on.
    long[] gauges = new long[2];
    ClusterTestKit.awaitCondition(
        () -> {
          sendLabelsOfNoImpression(producer, java.time.Instant.ofEpochSecond(1_700_000_000L));
          gauges[0] = joinMetric(jobId, "attributableImpressions");
          gauges[1] = joinMetric(jobId, "attributableImpressionBytes");
          return gauges[0] > EVENTS / 2 && gauges[1] > 0;
        },
        "the join's gauges of impressions held");
    long held = gauges[0];
    long bytes = gauges[1];
    long late = latePositivesSent();
    assertThat(late).as("late positives in the traffic").isGreaterThan(300);
    // The restarted job read the end of the stream behind its head, so its watermarks do not move
    // on when the stream stops (the records might only be waiting), and a restart begins them
    // anew from what it reads: a short tail at the wall clock's time closes the last windows.
    // Impressions without labels (joined, learned as negatives) and, on each labels partition, a
    // label of no impression (dropped).
    sendTail(producer);
    ModelSnapshot.Summary learned = awaitLearned(jobId, producer, EVENTS + TAIL + late);
    assertThat(learned.metrics().get("click.examples"))
        .as("impressions learned (each once)")
        .isEqualTo((double) EVENTS + TAIL);
    assertThat(learned.metrics().get("click.late_positives"))
        .as("late positives learned once more")
        .isEqualTo((double) late);

    System.out.printf(
        "window-fnw on the cluster: %d events, %d late positives learned once more; %d impressions"
            + " held for late labels, %d bytes (%.1f per impression, request-id keys apart)%n",
        EVENTS, late, held, bytes, (double) bytes / held);
    assertThat((double) bytes / held)
        .as("bytes per held impression: 16 and the encoded columns")
        .isBetween(20.0, 200.0);
    // The tail's time is years after the stream's: every impression held expires. (Labels of no
    // impression keep the watermark there, should the job have restarted again meanwhile.)
    ClusterTestKit.awaitCondition(
        () -> {
          sendLabelsOfNoImpression(producer, java.time.Instant.now());
          return joinMetric(jobId, "attributableImpressions") <= TAIL;
        },
        "the held impressions expired");
  }

  private static List<String> jobArgs() {
    return ClusterTestKit.jobArgs(
        CLUSTER.get(),
        SOURCE.specPath(),
        MODEL,
        2,
        "--snapshot.every-examples=1",
        "--join.mode=window-fnw",
        "--join.window-ms=" + WINDOW_MS,
        "--join.attribution-window-ms=" + SEVEN_DAYS_MS);
  }

  private static EventTimeNudge nudge(Properties producer) {
    return new EventTimeNudge(producer, SOURCE.spec(), MODEL, "events", "labels", 2);
  }

  private static void sendTail(Properties producer) throws Exception {
    nudge(producer).sendTail("tail-", TAIL);
  }

  /** On each labels partition a label of no impression at {@code time} (dropped). */
  private static void sendLabelsOfNoImpression(Properties producer, java.time.Instant time)
      throws Exception {
    nudge(producer).sendLabelsOfNoImpression(time);
  }

  /** Positives sent later than their impression's window (the join's deadline, bucket-rounded). */
  private static long latePositivesSent() throws Exception {
    RunHistory history =
        new RunHistory(CLUSTER.get().settings().bootstrapServers(), JobTopics.defaults());
    return history.positiveLabels(history.eventTimes(""), WINDOW_MS).lateByTime();
  }

  /** Waits for a snapshot whose impressions and late positives add up to {@code total}. */
  private static ModelSnapshot.Summary awaitLearned(String jobId, Properties producer, long total)
      throws Exception {
    ModelSnapshot.Summary[] newest = new ModelSnapshot.Summary[1];
    try {
      ClusterTestKit.awaitCondition(
          () -> {
            // Should the job restart after the tail (the JobManager drops a killed TaskManager
            // late), its watermarks begin anew from what it reads: labels at the wall clock's time
            // move them on again.
            sendLabelsOfNoImpression(producer, java.time.Instant.now());
            newest[0] = newestSnapshot().orElse(null);
            return newest[0] != null
                && newest[0].metrics().get("click.examples")
                        + newest[0].metrics().getOrDefault("click.late_positives", 0.0)
                    >= total;
          },
          "a snapshot of " + total + " examples learned");
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage()
              + "; newest snapshot "
              + (newest[0] == null ? "none" : newest[0].modelVersion() + " " + newest[0].metrics())
              + "; join held "
              + joinMetric(jobId, "attributableImpressions")
              + ", pending "
              + joinMetric(jobId, "pendingImpressions"),
          e);
    }
    return newest[0];
  }

  private static Optional<ModelSnapshot.Summary> newestSnapshot() throws Exception {
    return RunHistory.newestSnapshot(CLUSTER.get().settings().snapshots(), MODEL);
  }

  /** A metric of the label join summed over its subtasks (Flink's REST API). */
  private static long joinMetric(String jobId, String name) throws Exception {
    return (long)
        CLUSTER
            .metric(jobId, id -> id.endsWith("." + name) || id.equals(name), "sum")
            .orElseThrow(() -> new AssertionError("no metric " + name + " in job " + jobId));
  }
}
