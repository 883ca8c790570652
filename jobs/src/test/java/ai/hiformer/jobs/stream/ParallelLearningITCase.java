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
 *
 * <p>With {@code -Dhiformer.it.learnerSeeds=0-11} it measures instead: one learner and two
 * exchanging, for each model seed in turn, and writes the table to {@code
 * target/parallel-learning-seeds.json} (keys: {@code seeds}, {@code one_learner_auc} and {@code
 * two_learners_auc} per seed, {@code difference} per seed, and {@code summary}: min, median, mean,
 * std of each).
 */
class ParallelLearningITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(2);

  @TempDir static Path tmp;

  private static final int EVENTS = 20_000;
  private static final double MEAN_DELAY_MS = 5_000;

  /** Model seeds to measure over, from {@code -Dhiformer.it.learnerSeeds=a-b}; empty: the test. */
  private static int[] seeds() {
    String range = System.getProperty("hiformer.it.learnerSeeds", "");
    if (range.isEmpty()) {
      return new int[0];
    }
    String[] ends = range.split("-");
    int from = Integer.parseInt(ends[0]);
    int to = Integer.parseInt(ends[ends.length - 1]);
    return java.util.stream.IntStream.rangeClosed(from, to).toArray();
  }

  @Test
  void twoLearnersScoreAsOne() throws Exception {
    Path data = SharedData.require("movielens-100k");
    if (seeds().length > 0) {
      measureOverSeeds(data, seeds());
      return;
    }
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
      Outcome one = run(kafka, spec, 0, 1, 256, traffic, truth);
      Outcome two = run(kafka, spec, 0, 2, 256, traffic, truth);
      Outcome apart = run(kafka, spec, 0, 2, Integer.MAX_VALUE, traffic, truth);
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

  private static void measureOverSeeds(Path data, int[] seeds) throws Exception {
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
    double[] one = new double[seeds.length];
    double[] two = new double[seeds.length];
    double[] difference = new double[seeds.length];
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      for (int i = 0; i < seeds.length; i++) {
        one[i] = run(kafka, spec, seeds[i], 1, 256, traffic, truth).progressiveAuc();
        two[i] = run(kafka, spec, seeds[i], 2, 256, traffic, truth).progressiveAuc();
        difference[i] = two[i] - one[i];
        System.out.printf(
            "seed %d: learner 0's progressive AUC, one learner %.4f, two exchanging %.4f (%+.4f)%n",
            seeds[i], one[i], two[i], difference[i]);
      }
    }
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var out = json.createObjectNode();
    out.putPOJO("seeds", seeds);
    out.putPOJO("one_learner_auc", one);
    out.putPOJO("two_learners_auc", two);
    out.putPOJO("difference", difference);
    var summary = out.putObject("summary");
    for (var e :
        Map.of("one_learner_auc", one, "two_learners_auc", two, "difference", difference)
            .entrySet()) {
      double[] v = e.getValue().clone();
      java.util.Arrays.sort(v);
      double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
      double var = java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum();
      var row = summary.putObject(e.getKey());
      row.put("min", v[0]);
      row.put("median", (v[(v.length - 1) / 2] + v[v.length / 2]) / 2);
      row.put("mean", mean);
      row.put("std", v.length > 1 ? Math.sqrt(var / (v.length - 1)) : 0);
    }
    Path file = Path.of("target", "parallel-learning-seeds.json");
    json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), out);
    System.out.println("written: " + file.toAbsolutePath() + "\n" + summary.toPrettyString());
    assertThat(java.util.Arrays.stream(two).min().orElse(0))
        .as("every seed learnt")
        .isGreaterThan(0.5);
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
      long seed,
      int learners,
      int syncExamples,
      List<DelayedLabels.Out> traffic,
      Map<String, Double> truth)
      throws Exception {
    String prefix = "learners" + learners + "-" + syncExamples + "-seed" + seed + "-";
    kafka.createTopics(2, prefix + "events", prefix + "labels");
    kafka.createTopics(1, prefix + "scores");
    kafka.createTopics(1, prefix + "dead-letters", prefix + "exchange");
    JobConfig config =
        JobTestKit.config(kafka.bootstrapServers(), tmp.resolve(prefix), "movielens")
            .set(LearnerOptions.FEATURE_SPEC, spec)
            .modelConfig(
                ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).seed(seed).build())
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
            // Two learner subtasks, so that two learners run on two threads, as deployed.
            .set(JobConfig.PARALLELISM, 2)
            .set(LearnerOptions.SCORING_PARALLELISM, 1)
            .set(LearnerOptions.UPDATES_INTERVAL_MS, 200L)
            .set(LearnerOptions.PARALLELISM, learners)
            .set(LearnerOptions.SYNC_EXAMPLES, syncExamples)
            .set(
                LearnerOptions.SYNC_WAIT_MS,
                Long.getLong("hiformer.it.syncWaitMs", LearnerOptions.SYNC_WAIT_MS.defaultValue()))
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
