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
import ai.hiformer.model.train.PeerExchange;
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
 * Judged by learner 0's final model (its newest snapshot, the merged model) on the events that
 * follow the stream's, which no learner saw; learner 0's progressive AUC is printed too, but with
 * several learners it looks ahead (see {@link #HELD_OUT}). The scores a user reads depend more on
 * timing than on the model here (how soon the replicas get a version), so they are printed only.
 * Skipped, saying so, without the dataset.
 *
 * <p>With {@code -Dhiformer.it.learnerSeeds=0-11} it measures instead: one learner and two
 * exchanging, for each model seed in turn, and writes the table to {@code
 * target/parallel-learning-seeds.json} (keys, each a value per seed: {@code one_learner_auc} and
 * {@code two_learners_auc}, learner 0's progressive AUC, and their {@code difference}; {@code
 * one_learner_held_out_auc}, {@code two_learners_held_out_auc} and {@code held_out_difference}, the
 * final models on the {@code held_out_events} that follow; {@code summary}: min, median, mean and
 * std of each).
 */
class ParallelLearningITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(2);

  @TempDir static Path tmp;

  private static final int EVENTS = 20_000;

  /**
   * Events after the stream's on which each run's final model (learner 0's newest snapshot, the
   * merged model) is judged. Unlike learner 0's progressive AUC this has no look-ahead: a learner
   * behind its peers predicts its examples with what they learnt from later events, and on a stream
   * as local in time as MovieLens (a user rates in sessions) that flatters it.
   */
  private static final int HELD_OUT = 5_000;

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

  /** What the learners merge, from {@code -Dhiformer.it.exchange=gradients|weights}. */
  private static PeerExchange.Merge exchange() {
    String name = System.getProperty("hiformer.it.exchange", "");
    return name.isEmpty()
        ? LearnerOptions.EXCHANGE.defaultValue()
        : PeerExchange.Merge.valueOf(name.toUpperCase(java.util.Locale.ROOT));
  }

  @Test
  void twoLearnersScoreAsOne() throws Exception {
    Path data = SharedData.require("movielens-100k");
    if (seeds().length > 0) {
      measureOverSeeds(data, seeds());
      return;
    }
    String spec = hashedSpec();
    Map<String, Double> truth = new HashMap<>();
    List<DelayedLabels.Out> traffic = traffic(data, spec, truth);
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      Outcome one = run(kafka, data, spec, 0, 1, 256, traffic, truth);
      Outcome two = run(kafka, data, spec, 0, 2, 256, traffic, truth);
      Outcome apart = run(kafka, data, spec, 0, 2, Integer.MAX_VALUE, traffic, truth);
      System.out.printf(
          "MovieLens through Kafka, %d events: learner 0's progressive AUC (examples) and its"
              + " final model's AUC on the next %d events: one learner %.4f (%d) %.4f, two"
              + " exchanging %.4f (%d) %.4f, two apart %.4f (%d) %.4f; scores against the truth:"
              + " %.4f, %.4f, %.4f%n",
          EVENTS,
          HELD_OUT,
          one.progressiveAuc(),
          one.examples(),
          one.heldOutAuc(),
          two.progressiveAuc(),
          two.examples(),
          two.heldOutAuc(),
          apart.progressiveAuc(),
          apart.examples(),
          apart.heldOutAuc(),
          one.scoresAuc(),
          two.scoresAuc(),
          apart.scoresAuc());
      assertThat(two.examples()).as("learner 0's share").isLessThan(one.examples() * 3 / 4);
      // One run does not order the three on held-out events (the spread over model seeds is
      // larger than their differences: docs/DESIGN.md); that the merged model learnt, it does.
      assertThat(two.heldOutAuc())
          .as("the merged model on the held-out events")
          .isGreaterThan(0.65);
    }
  }

  private static void measureOverSeeds(Path data, int[] seeds) throws Exception {
    String spec = hashedSpec();
    Map<String, Double> truth = new HashMap<>();
    List<DelayedLabels.Out> traffic = traffic(data, spec, truth);
    Map<String, double[]> table = new java.util.LinkedHashMap<>();
    for (String k :
        List.of(
            "one_learner_auc",
            "two_learners_auc",
            "difference",
            "one_learner_held_out_auc",
            "two_learners_held_out_auc",
            "held_out_difference")) {
      table.put(k, new double[seeds.length]);
    }
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      for (int i = 0; i < seeds.length; i++) {
        Outcome one = run(kafka, data, spec, seeds[i], 1, 256, traffic, truth);
        Outcome two = run(kafka, data, spec, seeds[i], 2, 256, traffic, truth);
        table.get("one_learner_auc")[i] = one.progressiveAuc();
        table.get("two_learners_auc")[i] = two.progressiveAuc();
        table.get("difference")[i] = two.progressiveAuc() - one.progressiveAuc();
        table.get("one_learner_held_out_auc")[i] = one.heldOutAuc();
        table.get("two_learners_held_out_auc")[i] = two.heldOutAuc();
        table.get("held_out_difference")[i] = two.heldOutAuc() - one.heldOutAuc();
        System.out.printf(
            "seed %d: learner 0's progressive AUC, one learner %.4f, two exchanging %.4f (%+.4f);"
                + " on the next %d events %.4f, %.4f (%+.4f)%n",
            seeds[i],
            one.progressiveAuc(),
            two.progressiveAuc(),
            two.progressiveAuc() - one.progressiveAuc(),
            HELD_OUT,
            one.heldOutAuc(),
            two.heldOutAuc(),
            two.heldOutAuc() - one.heldOutAuc());
      }
    }
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var out = json.createObjectNode();
    out.putPOJO("seeds", seeds);
    out.put("held_out_events", HELD_OUT);
    table.forEach(out::putPOJO);
    var summary = out.putObject("summary");
    for (var e : table.entrySet()) {
      double[] v = e.getValue();
      var row = summary.putObject(e.getKey());
      row.put("min", java.util.Arrays.stream(v).min().orElse(Double.NaN));
      row.put("median", Metrics.median(v));
      row.put("mean", Metrics.mean(v));
      row.put("std", Metrics.std(v));
    }
    Path file = Path.of("target", "parallel-learning-seeds.json");
    json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), out);
    System.out.println("written: " + file.toAbsolutePath() + "\n" + summary.toPrettyString());
    assertThat(java.util.Arrays.stream(table.get("two_learners_held_out_auc")).min().orElse(0))
        .as("every seed learnt")
        .isGreaterThan(0.5);
  }

  /**
   * The first {@link #EVENTS} events as impressions and their positives seconds later; {@code
   * truth} gets each request id's label.
   */
  private static List<DelayedLabels.Out> traffic(Path data, String spec, Map<String, Double> truth)
      throws Exception {
    return DelayedTraffic.of(
        FeatureSpec.parse(spec),
        data,
        "movielens",
        EVENTS,
        new DelayedLabels(MEAN_DELAY_MS, 3),
        "like",
        truth);
  }

  /** specs/movielens-hashed.json: MovieLens with hashed keys, which several learners need. */
  private static String hashedSpec() throws Exception {
    return Files.readString(SharedData.repoFile("specs/movielens-hashed.json"));
  }

  /** Learner 0's progressive AUC and examples learnt; the scores' AUC against the truth. */
  private record Outcome(
      double progressiveAuc, long examples, double scoresAuc, double heldOutAuc) {}

  private static Outcome run(
      EmbeddedKafka kafka,
      Path data,
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
            // Learners that never exchange (the control) have nothing to merge either way.
            .set(
                LearnerOptions.EXCHANGE,
                syncExamples > 256 ? PeerExchange.Merge.WEIGHTS : exchange())
            .set(
                LearnerOptions.SYNC_WAIT_MS,
                Long.getLong("hiformer.it.syncWaitMs", LearnerOptions.SYNC_WAIT_MS.defaultValue()))
            .build();
    JobClient job = JobTestKit.environment(config).executeAsync(prefix);
    try {
      double scoresAuc = DelayedTraffic.replayAndJudge(kafka, traffic, prefix, EVENTS, truth).auc();
      Path snapshots = tmp.resolve(prefix).resolve("snapshots/movielens");
      ModelSnapshot.Summary learnt = settled(snapshots);
      return new Outcome(
          learnt.metrics().get("like.progressive_auc"),
          learnt.metrics().get("like.examples").longValue(),
          scoresAuc,
          DelayedTraffic.heldOutAuc(
              FeatureSpec.parse(spec),
              data,
              EVENTS,
              HELD_OUT,
              "like",
              ModelSnapshot.newest(snapshots).orElseThrow()));
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
