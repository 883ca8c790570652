package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.SharedData;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.local.traffic.DelayedLabels;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.ModelProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the join mode does to the scores a user reads: MovieLens with its positives on the labels
 * topic after exponential delays of mean 1 h of event time, against a 1 h window (37 % of them
 * late), streamed live into the job once with {@code join.mode=window} and once with {@code
 * window-fnw}. Each run's scores (from the scoring replicas, as shipped) are judged against the
 * true labels: under {@code window} the model learns late positives as negatives and
 * under-predicts; {@code window-fnw} must be better calibrated and have the lower log-loss.
 * Skipped, saying so, without the dataset.
 */
class LateLabelsQualityITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(2);

  @TempDir static Path tmp;

  private static final int EVENTS = 20_000;
  private static final double MEAN_DELAY_MS = 3_600_000;
  private static final long WINDOW_MS = 3_600_000;

  private record Outcome(double auc, double logLoss, double calibration) {}

  @Test
  void learningLatePositivesAgainGivesBetterCalibratedScores() throws Exception {
    Path data = SharedData.require("movielens-100k");
    Path specPath = SharedData.repoFile("specs/movielens.json");
    FeatureSpec spec = FeatureSpec.load(specPath);
    Map<String, Double> truth = new HashMap<>();
    // Every positive arrives: the attribution window is 30 mean delays.
    List<DelayedLabels.Out> traffic =
        DelayedTraffic.of(
            spec, data, "movielens", EVENTS, new DelayedLabels(MEAN_DELAY_MS, 3), "like", truth);
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      Map<String, Outcome> outcomes = new HashMap<>();
      for (String mode : List.of("window", "window-fnw")) {
        outcomes.put(mode, run(kafka, specPath, mode, traffic, truth));
      }
      Outcome window = outcomes.get("window");
      Outcome fnw = outcomes.get("window-fnw");
      System.out.printf(
          "late labels in the job, scores against the true labels (%d MovieLens events, 37 %% of"
              + " positives late): window AUC %.4f log-loss %.4f calibration %.3f; window-fnw AUC"
              + " %.4f log-loss %.4f calibration %.3f%n",
          EVENTS,
          window.auc(),
          window.logLoss(),
          window.calibration(),
          fnw.auc(),
          fnw.logLoss(),
          fnw.calibration());
      assertThat(Math.abs(1 - fnw.calibration()))
          .as("window-fnw's calibration is closer to 1")
          .isLessThan(Math.abs(1 - window.calibration()));
      assertThat(fnw.logLoss()).as("window-fnw's log-loss").isLessThan(window.logLoss());
    }
  }

  private static Outcome run(
      EmbeddedKafka kafka,
      Path specPath,
      String mode,
      List<DelayedLabels.Out> traffic,
      Map<String, Double> truth)
      throws Exception {
    String prefix = mode + "-";
    kafka.createTopics(1, prefix + "events", prefix + "labels", prefix + "scores");
    kafka.createTopics(1, prefix + "dead-letters");
    JobConfig config =
        JobTestKit.config(kafka.bootstrapServers(), tmp.resolve(mode), "movielens")
            .set(LearnerOptions.FEATURE_SPEC, Files.readString(specPath))
            .modelConfig(ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).build())
            .set(JobConfig.EVENTS_TOPIC, prefix + "events")
            .set(JobConfig.LABELS_TOPIC, prefix + "labels")
            .set(JobConfig.SCORES_TOPIC, prefix + "scores")
            .set(JobConfig.DEAD_LETTER_TOPIC, prefix + "dead-letters")
            .set(JobConfig.GROUP_ID, mode)
            .set(JobConfig.TRANSACTIONAL_ID_PREFIX, mode)
            .set(JobConfig.SCORES_DELIVERY, "at-least-once")
            .set(JobConfig.JOIN_TIME, "event")
            .set(JobConfig.JOIN_MODE, mode)
            .set(JobConfig.LABEL_WINDOW_MS, WINDOW_MS)
            .set(JobConfig.JOIN_ATTRIBUTION_WINDOW_MS, 30 * WINDOW_MS)
            .set(JobConfig.CHECKPOINT_INTERVAL_MS, 1000L)
            .set(LearnerOptions.SCORING_PARALLELISM, 1)
            .set(LearnerOptions.UPDATES_INTERVAL_MS, 200L)
            .build();
    JobClient job = JobTestKit.environment(config).executeAsync(mode);
    try {
      DelayedTraffic.Judged judged =
          DelayedTraffic.replayAndJudge(kafka, traffic, prefix, EVENTS, truth);
      return new Outcome(judged.auc(), judged.logLoss(), judged.calibration());
    } finally {
      job.cancel().get();
    }
  }
}
