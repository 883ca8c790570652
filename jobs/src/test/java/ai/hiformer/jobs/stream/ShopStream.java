package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The small shop stream that the format tests replay in each format: 600 impressions of one model
 * ("shop"), one a second, with a click label that a model learns within the stream (users below 12
 * and items below 5 click), each label half a second after its impression.
 */
final class ShopStream {
  static final int EVENTS = 600;
  static final long T0 = 1_700_000_000_000L;

  /** Impression {@code i}: its features and its click. */
  record Impression(int i, int user, int item, double price, int click) {
    String request() {
      return "r" + i;
    }

    long timeMillis() {
      return T0 + 1000L * i;
    }

    long labelTimeMillis() {
      return timeMillis() + 500;
    }

    List<String> tags() {
      return List.of("t" + item % 4, "t" + user % 5);
    }

    /** In the job's own Avro format, carrying its label or not. */
    byte[] avroEvent(boolean withLabel) {
      return WireCodec.events()
          .encode(
              Event.newBuilder()
                  .setRequestId(request())
                  .setModelId("shop")
                  .setEventTime(Instant.ofEpochMilli(timeMillis()))
                  .setCategorical(Map.of("user", "u" + user, "item", "i" + item))
                  .setMulti(Map.of("tags", tags()))
                  .setNumeric(Map.of("price", price))
                  .setLabels(withLabel ? Map.of("click", (double) click) : Map.of())
                  .build());
    }

    /** Its label in the job's own Avro format. */
    byte[] avroLabel() {
      return WireCodec.labels()
          .encode(
              Label.newBuilder()
                  .setRequestId(request())
                  .setModelId("shop")
                  .setTask("click")
                  .setValue(click)
                  .setTime(Instant.ofEpochMilli(labelTimeMillis()))
                  .build());
    }
  }

  private ShopStream() {}

  /** The stream; the same every time. */
  static List<Impression> impressions() {
    SplittableRandom rng = new SplittableRandom(3);
    List<Impression> out = new ArrayList<>(EVENTS);
    for (int i = 0; i < EVENTS; i++) {
      int user = rng.nextInt(40);
      int item = rng.nextInt(25);
      double price = rng.nextInt(100);
      out.add(new Impression(i, user, item, price, user < 12 || item < 5 ? 1 : 0));
    }
    return out;
  }

  /**
   * A job configuration on the topics {@code prefix-events}, {@code -labels}, {@code -scores} and
   * {@code -dead}, bounded, one subtask, its snapshots under {@code dir/prefix-snapshots}.
   */
  static JobConfig.Builder config(EmbeddedKafka kafka, Path dir, String prefix) {
    return JobTestKit.config(kafka.bootstrapServers(), dir.resolve(prefix), "shop")
        .set(JobConfig.EVENTS_TOPIC, prefix + "-events")
        .set(JobConfig.LABELS_TOPIC, prefix + "-labels")
        .set(JobConfig.SCORES_TOPIC, prefix + "-scores")
        .set(JobConfig.DEAD_LETTER_TOPIC, prefix + "-dead")
        .set(JobConfig.GROUP_ID, "shop-itcase-" + prefix)
        .set(JobConfig.TRANSACTIONAL_ID_PREFIX, "shop-itcase-" + prefix)
        .set(JobConfig.PARALLELISM, 1)
        .set(JobConfig.BOUNDED, true)
        .set(JobConfig.CHECKPOINT_INTERVAL_MS, 500L)
        .set(LearnerOptions.SNAPSHOT_DIR, dir.resolve(prefix + "-snapshots").toString());
  }

  /** The topics of {@link #config} for each prefix. */
  static void createTopics(EmbeddedKafka kafka, String... prefixes) throws Exception {
    for (String p : prefixes) {
      kafka.createTopics(1, p + "-events", p + "-labels", p + "-scores", p + "-dead");
    }
  }

  /** The last snapshot of a run of the whole stream: 600 examples in 3 steps make version 3. */
  static ModelSnapshot lastSnapshot(Path dir, String prefix) throws Exception {
    return ModelSnapshot.read(
        ModelSnapshot.directory(dir.resolve(prefix + "-snapshots"), "shop", 3),
        ai.hiformer.model.optim.OptimizerConfig.defaults());
  }

  /**
   * Asserts that the topic {@code prefix-dead} holds exactly the dead letters expected: one whose
   * reason contains each of {@code reasons}, and no other.
   */
  static void assertDeadLettered(EmbeddedKafka kafka, String prefix, List<String> reasons)
      throws Exception {
    List<String> got = new ArrayList<>();
    for (byte[] b : kafka.readCommitted(prefix + "-dead", Duration.ofSeconds(2))) {
      got.add(WireCodec.deadLetters().decode(b).getReason());
    }
    assertThat(got).hasSize(reasons.size());
    for (String expected : reasons) {
      assertThat(got).as(expected).anyMatch(r -> r.contains(expected));
    }
  }

  /**
   * Asserts that the run {@code prefix} trained on the whole stream and that its progressive AUC is
   * within 0.002 of the run {@code ownFormat} (the same stream in the job's own Avro format), and
   * above chance. Both runs carry their labels inside the events, so the examples reach the learner
   * in the topic's order (through the join, the order of impressions and labels released together
   * depends on how the two topics interleave, which no run fixes).
   */
  static void assertLearnsAsTheOwnFormat(Path dir, String prefix, String ownFormat)
      throws Exception {
    ModelSnapshot run = lastSnapshot(dir, prefix);
    ModelSnapshot own = lastSnapshot(dir, ownFormat);
    assertThat(run.position().examplesTrained()).isEqualTo(EVENTS);
    double auc = run.metrics().get("click.progressive_auc");
    assertThat(auc)
        .isCloseTo(own.metrics().get("click.progressive_auc"), within(0.002))
        .as("progressive AUC %s: the model learns", auc)
        .isGreaterThan(0.55);
  }

  /** The key of every record: the model id. */
  static List<byte[]> keys(int n) {
    List<byte[]> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      keys.add(utf8("shop"));
    }
    return keys;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
