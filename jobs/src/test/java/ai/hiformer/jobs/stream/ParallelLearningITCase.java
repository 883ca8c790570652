package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.SharedData;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.learner.Metrics;
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
 * Two learners of one model through Kafka ({@code learn.parallelism=2}): MovieLens streamed live
 * into the job, positives on the labels topic seconds after their impressions, with one learner,
 * with two exchanging through {@code topics.learner-exchange}, and with two that never exchange.
 * Judged by learner 0's progressive AUC (each example predicted before it is learnt), from its
 * newest snapshot: learner 0 learns a random half of the examples, so with the exchange its
 * predictions are the merged model's, on a sample of the stream. The scores a user reads depend
 * more on timing than on the model here (how soon the replicas get a version), so they are printed
 * only. Skipped, saying so, without the dataset.
 */
class ParallelLearningITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(2);

  @TempDir static Path tmp;

  private static final int EVENTS = 20_000;
  private static final double MEAN_DELAY_MS = 5_000;

  @Test
  void twoLearnersScoreAsOne() throws Exception {
    Path data = SharedData.require("movielens-100k");
    String spec = hashedSpec();
    Path specPath = tmp.resolve("movielens-hashed.json");
    Files.writeString(specPath, spec);
    Map<String, Double> truth = new HashMap<>();
    List<DelayedLabels.Out> traffic =
        DelayedTraffic.of(
            FeatureSpec.load(specPath),
            data,
            "movielens",
            EVENTS,
            new DelayedLabels(MEAN_DELAY_MS, 3),
            "like",
            truth);
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      Outcome one = run(kafka, spec, 1, 256, traffic, truth);
      Outcome two = run(kafka, spec, 2, 256, traffic, truth);
      Outcome apart = run(kafka, spec, 2, Integer.MAX_VALUE, traffic, truth);
      System.out.printf(
          "MovieLens through Kafka, %d events: learner 0's progressive AUC (examples): one learner"
              + " %.4f (%d), two exchanging %.4f (%d), two apart %.4f (%d); scores against the"
              + " truth: %.4f, %.4f, %.4f%n",
          EVENTS,
          one.progressiveAuc(),
          one.examples(),
          two.progressiveAuc(),
          two.examples(),
          apart.progressiveAuc(),
          apart.examples(),
          one.scoresAuc(),
          two.scoresAuc(),
          apart.scoresAuc());
      assertThat(two.examples()).as("learner 0's share").isLessThan(one.examples() * 3 / 4);
      assertThat(two.progressiveAuc())
          .as("two exchanging learners against two apart")
          .isGreaterThan(apart.progressiveAuc());
    }
  }

  /** specs/movielens.json with hashed keys, which several learners need (one id per value). */
  private static String hashedSpec() throws Exception {
    String exact = Files.readString(SharedData.repoFile("specs/movielens.json"));
    String hashed =
        exact.replace(
            "\"embedding\": {\"keys\": \"exact\", \"capacity\": 1000000, \"ttl_events\": 0}",
            "\"embedding\": {\"keys\": \"hashed\", \"buckets\": 65536}");
    assertThat(hashed).as("the spec's embedding line").isNotEqualTo(exact);
    return hashed;
  }

  /** Learner 0's progressive AUC and examples learnt; the scores' AUC against the truth. */
  private record Outcome(double progressiveAuc, long examples, double scoresAuc) {}

  private static Outcome run(
      EmbeddedKafka kafka,
      String spec,
      int learners,
      int syncExamples,
      List<DelayedLabels.Out> traffic,
      Map<String, Double> truth)
      throws Exception {
    String prefix = "learners" + learners + "-" + syncExamples + "-";
    kafka.createTopics(1, prefix + "events", prefix + "labels", prefix + "scores");
    kafka.createTopics(1, prefix + "dead-letters", prefix + "exchange");
    JobConfig config =
        JobTestKit.config(kafka.bootstrapServers(), tmp.resolve(prefix), "movielens")
            .set(LearnerOptions.FEATURE_SPEC, spec)
            .modelConfig(ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).build())
            .set(JobConfig.EVENTS_TOPIC, prefix + "events")
            .set(JobConfig.LABELS_TOPIC, prefix + "labels")
            .set(JobConfig.SCORES_TOPIC, prefix + "scores")
            .set(JobConfig.DEAD_LETTER_TOPIC, prefix + "dead-letters")
            .set(JobConfig.EXCHANGE_TOPIC, prefix + "exchange")
            .set(JobConfig.GROUP_ID, prefix)
            .set(JobConfig.TRANSACTIONAL_ID_PREFIX, prefix)
            .set(JobConfig.SCORES_DELIVERY, "at-least-once")
            .set(JobConfig.JOIN_TIME, "event")
            .set(JobConfig.LABEL_WINDOW_MS, 60_000L)
            .set(JobConfig.CHECKPOINT_INTERVAL_MS, 1000L)
            .set(LearnerOptions.SCORING_PARALLELISM, 1)
            .set(LearnerOptions.UPDATES_INTERVAL_MS, 200L)
            .set(LearnerOptions.PARALLELISM, learners)
            .set(LearnerOptions.SYNC_EXAMPLES, syncExamples)
            .build();
    JobClient job = JobTestKit.environment(config).executeAsync(prefix);
    try {
      DelayedTraffic.send(kafka, traffic, "movielens", prefix + "events", prefix + "labels", 1000);
      DelayedTraffic.Judged judged =
          DelayedTraffic.judge(
              DelayedTraffic.awaitScores(kafka, prefix + "scores", "like", EVENTS), truth);
      double[] p = judged.scores();
      double[] y = judged.labels();
      int n = p.length;
      double scoresAuc = Metrics.auc(p, y, 0, n);
      ModelSnapshot.Summary learnt = settled(tmp.resolve(prefix).resolve("snapshots/movielens"));
      return new Outcome(
          learnt.metrics().get("like.progressive_auc"),
          learnt.metrics().get("like.examples").longValue(),
          scoresAuc);
    } finally {
      job.cancel().get();
    }
  }

  /** Learner 0's newest snapshot once its examples stop growing for 5 s (up to a minute). */
  private static ModelSnapshot.Summary settled(Path modelDir) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    ModelSnapshot.Summary last = null;
    long stableSince = System.currentTimeMillis();
    while (System.currentTimeMillis() < deadline) {
      var newest = ModelSnapshot.newest(modelDir);
      if (newest.isPresent()) {
        ModelSnapshot.Summary s = ModelSnapshot.readSummary(newest.get());
        if (last == null
            || !s.metrics().get("like.examples").equals(last.metrics().get("like.examples"))) {
          last = s;
          stableSince = System.currentTimeMillis();
        } else if (System.currentTimeMillis() - stableSince >= 5_000) {
          return last;
        }
      }
      Thread.sleep(500);
    }
    assertThat(last).as("a snapshot of learner 0 under %s", modelDir).isNotNull();
    return last;
  }
}
