package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.SharedData;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.local.traffic.DelayedLabels;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.ModelProfile;
import ai.hiformer.model.optim.OptimizerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event-time join makes a backfill learn as the live stream did: MovieLens with its labels on
 * their own topic (positives only, each after an exponential delay of mean 1 s of event time; a
 * window that leaves 10 % of them late), replayed once into the topics before a bounded job reads
 * them at full speed, and once at 500 events/s into a running job. The learner's progressive AUC
 * over every example is the same within 0.002, and each run learns every impression once and each
 * late positive once more (join.mode = window-fnw). Skipped, saying so, without the dataset.
 */
class EventTimeReplayITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(2);

  @TempDir static Path tmp;

  private static final int EVENTS = 10_000;
  private static final double MEAN_DELAY_MS = 1000;

  @Test
  void aReplayAtFullSpeedLearnsAsOneAt500EventsPerSecond() throws Exception {
    Path data = SharedData.require("movielens-100k");
    Path specPath = SharedData.repoFile("specs/movielens.json");
    FeatureSpec spec = FeatureSpec.load(specPath);
    List<DelayedLabels.Out> traffic =
        DelayedTraffic.of(
            spec, data, "movielens", EVENTS, new DelayedLabels(MEAN_DELAY_MS, 5), "like", null);
    long late = latePositives(traffic);
    long examples = EVENTS + late; // each impression, and each late positive once more
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "events", "labels", "scores", "dead-letters");
      kafka.createTopics(1, "live-events", "live-labels", "live-scores", "live-dead-letters");

      DelayedTraffic.send(kafka, traffic, "movielens", "events", "labels", 0);
      JobConfig backfill =
          config(kafka, specPath, "backfill", "")
              .set(JobConfig.BOUNDED, true)
              .set(LearnerOptions.SNAPSHOT_EVERY_EXAMPLES, examples)
              .build();
      JobTestKit.runToEnd(backfill, "backfill");
      ModelSnapshot atFullSpeed = lastSnapshot("backfill");

      JobConfig live =
          config(kafka, specPath, "live", "live-")
              .set(LearnerOptions.SNAPSHOT_EVERY_EXAMPLES, examples)
              .build();
      JobClient job = JobTestKit.environment(live).executeAsync("live");
      try {
        DelayedTraffic.send(kafka, traffic, "movielens", "live-events", "live-labels", 500);
        ModelSnapshot at500 = awaitSnapshot("live", examples);
        double auc = atFullSpeed.metrics().get("like.progressive_auc");
        double liveAuc = at500.metrics().get("like.progressive_auc");
        System.out.printf(
            "event-time replay: progressive AUC %.6f at full speed, %.6f at 500 events/s%n",
            auc, liveAuc);
        assertThat(late).isGreaterThan(400); // about 10 % of 55 % positives
        for (ModelSnapshot s : List.of(atFullSpeed, at500)) {
          // The metrics count each impression once; late positives apart.
          assertThat(s.metrics().get("like.examples")).isEqualTo((double) EVENTS);
          assertThat(s.metrics().get("like.late_positives")).isEqualTo((double) late);
        }
        assertThat(liveAuc).isCloseTo(auc, within(0.002));
      } finally {
        job.cancel().get();
      }
    }
  }

  /**
   * Positives later than their impression's window (its deadline rounded up to the join's time
   * bucket, as the join rounds it): each is learned once more.
   */
  private static long latePositives(List<DelayedLabels.Out> traffic) {
    long window = DelayedLabels.windowFor(MEAN_DELAY_MS, 0.10);
    long bucket = ai.hiformer.learner.join.PendingExamples.bucketFor(window);
    java.util.Map<String, Long> impressions = new java.util.HashMap<>();
    long late = 0;
    for (DelayedLabels.Out o : traffic) {
      if (o instanceof DelayedLabels.Impression i) {
        impressions.put(i.event().getRequestId(), i.timeMillis());
      } else if (o instanceof DelayedLabels.DelayedLabel l && l.label().getValue() == 1.0) {
        long deadline =
            Math.floorDiv(impressions.get(l.label().getRequestId()) + window + bucket - 1, bucket)
                * bucket;
        late += l.timeMillis() > deadline ? 1 : 0;
      }
    }
    return late;
  }

  private static JobConfig.Builder config(
      EmbeddedKafka kafka, Path specPath, String name, String topicPrefix) throws Exception {
    return JobTestKit.config(kafka.bootstrapServers(), tmp.resolve(name), "movielens")
        .set(LearnerOptions.FEATURE_SPEC, Files.readString(specPath))
        .modelConfig(ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).build())
        .set(JobConfig.EVENTS_TOPIC, topicPrefix + "events")
        .set(JobConfig.LABELS_TOPIC, topicPrefix + "labels")
        .set(JobConfig.SCORES_TOPIC, topicPrefix + "scores")
        .set(JobConfig.DEAD_LETTER_TOPIC, topicPrefix + "dead-letters")
        .set(JobConfig.GROUP_ID, name)
        .set(JobConfig.TRANSACTIONAL_ID_PREFIX, name)
        .set(JobConfig.SCORES_DELIVERY, "at-least-once")
        .set(JobConfig.JOIN_TIME, "event")
        .set(JobConfig.LABEL_WINDOW_MS, DelayedLabels.windowFor(MEAN_DELAY_MS, 0.10))
        .set(JobConfig.CHECKPOINT_INTERVAL_MS, 1000L)
        .set(LearnerOptions.FLUSH_IDLE_MS, 1000L)
        .set(LearnerOptions.SCORING_PARALLELISM, 1)
        .set(LearnerOptions.UPDATES_INTERVAL_MS, 1000L)
        .set(JobConfig.JOIN_MODE, "window-fnw");
  }

  private static ModelSnapshot lastSnapshot(String name) throws Exception {
    return ModelSnapshot.read(newest(name).orElseThrow(), OptimizerConfig.defaults());
  }

  /** The newest version folder (written atomically: a folder named v<digits> is complete). */
  private static java.util.Optional<Path> newest(String name) throws Exception {
    Path models = tmp.resolve(name).resolve("snapshots").resolve("movielens");
    if (!Files.isDirectory(models)) {
      return java.util.Optional.empty();
    }
    try (var dirs = Files.list(models)) {
      return dirs.filter(d -> ModelSnapshot.versionOf(d) >= 0)
          .max(java.util.Comparator.comparingLong(ModelSnapshot::versionOf));
    }
  }

  /** Waits (up to 2 minutes) for a snapshot of {@code examples} examples. */
  private static ModelSnapshot awaitSnapshot(String name, long examples) throws Exception {
    long deadline = System.currentTimeMillis() + 120_000;
    while (System.currentTimeMillis() < deadline) {
      var dir = newest(name);
      if (dir.isPresent()) {
        ModelSnapshot s = ModelSnapshot.read(dir.get(), OptimizerConfig.defaults());
        if (s.metrics().get("like.examples") + s.metrics().getOrDefault("like.late_positives", 0.0)
            >= examples) {
          return s;
        }
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no snapshot of " + EVENTS + " examples within 2 minutes");
  }
}
