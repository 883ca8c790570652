package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a user's own JSON topics (events, labels and scores in JSON), with the user's field
 * names mapped by configuration and no model-id field (one model): every event is scored once,
 * every hostile record is dead-lettered with its reason, and the model learns exactly as it does
 * from the same data in the job's Avro format.
 */
class JsonTopicsITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(1);

  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  @TempDir static Path dir;

  private static final int EVENTS = 600;
  private static final long T0 = 1_700_000_000_000L;

  @Test
  void jsonTopicsScoreEveryEventOnceDeadLetterTheRestAndLearnAsAvroDoes() throws Exception {
    KAFKA.get().createTopics(1, "j-events", "j-labels", "j-scores", "j-dead", "a-events");
    KAFKA.get().createTopics(1, "a-labels", "a-scores", "a-dead");
    KAFKA.get().createTopics(1, "ji-events", "ji-labels", "ji-scores", "ji-dead");
    KAFKA.get().createTopics(1, "ai-events", "ai-labels", "ai-scores", "ai-dead");
    SplittableRandom rng = new SplittableRandom(3);
    List<byte[]> jsonEvents = new ArrayList<>();
    List<byte[]> jsonLabels = new ArrayList<>();
    List<byte[]> avroEvents = new ArrayList<>();
    List<byte[]> avroLabels = new ArrayList<>();
    List<byte[]> jsonInline = new ArrayList<>(); // the same events carrying their labels
    List<byte[]> avroInline = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      int user = rng.nextInt(40);
      int item = rng.nextInt(25);
      double price = rng.nextInt(100);
      int click = user < 12 || item < 5 ? 1 : 0; // learnable within 600 events
      String tags = "[\"t" + item % 4 + "\", \"t" + user % 5 + "\"]";
      jsonEvents.add(
          utf8(
              String.format(
                  "{\"req\": \"r%d\", \"ts\": \"%s\", \"user\": \"u%d\", \"item\": \"i%d\","
                      + " \"tags\": %s, \"price\": %s}",
                  i, Instant.ofEpochMilli(T0 + 1000L * i), user, item, tags, price)));
      jsonInline.add(
          utf8(
              String.format(
                  "{\"req\": \"r%d\", \"ts\": %d, \"user\": \"u%d\", \"item\": \"i%d\","
                      + " \"tags\": %s, \"price\": %s, \"labels\": {\"click\": %d}}",
                  i, T0 + 1000L * i, user, item, tags, price, click)));
      avroInline.add(avroEvent(i, user, item, price, Map.of("click", (double) click)));
      jsonLabels.add(
          utf8(
              String.format(
                  "{\"req\": \"r%d\", \"what\": \"click\", \"clicked\": %d, \"at\": %d}",
                  i, click, T0 + 1000L * i + 500)));
      avroEvents.add(avroEvent(i, user, item, price, Map.of()));
      avroLabels.add(
          WireCodec.labels()
              .encode(
                  Label.newBuilder()
                      .setRequestId("r" + i)
                      .setModelId("shop")
                      .setTask("click")
                      .setValue(click)
                      .setTime(Instant.ofEpochMilli(T0 + 1000L * i + 500))
                      .build()));
    }
    // Hostile records, each with what its dead letter must say
    Map<String, String> hostile = new HashMap<>();
    hostile.put("{\"req\": \"x1\", \"ts\": 1", "not JSON");
    hostile.put("[1, 2, 3]", "not a JSON object");
    hostile.put("{\"ts\": 1700000000000, \"user\": \"u1\"}", "missing or not a string: 'req'");
    hostile.put("{\"req\": \"x2\", \"user\": \"u1\"}", "missing or not a time: 'ts'");
    hostile.put("{\"req\": \"x3\", \"ts\": \"yesterday\"}", "'ts' is not an ISO-8601 instant");
    hostile.put("{\"req\": \"x4\", \"ts\": 1, \"user\": {\"id\": 1}}", "field 'user' is OBJECT");
    hostile.put("{\"req\": \"x5\", \"ts\": 1, \"tags\": [\"a\", {}]}", "field 'tags' holds OBJECT");
    hostile.put("{\"req\": \"x6\", \"ts\": 1, \"price\": 1e400}", "numeric 'price' is not finite");
    List<byte[]> jsonEventsWithHostile = new ArrayList<>(jsonEvents);
    List<String> hostileOrder = new ArrayList<>(hostile.keySet());
    for (int h = 0; h < hostileOrder.size(); h++) {
      jsonEventsWithHostile.add(50 * (h + 1), utf8(hostileOrder.get(h)));
    }
    List<byte[]> jsonLabelsWithHostile = new ArrayList<>(jsonLabels);
    jsonLabelsWithHostile.add(
        utf8("{\"req\": \"r1\", \"what\": \"buy\", \"clicked\": 1, \"at\": 1}"));
    jsonLabelsWithHostile.add(utf8("{\"req\": \"r2\", \"what\": \"click\", \"clicked\": \"yes\"}"));
    KAFKA.get().produce("j-events", keys(jsonEventsWithHostile.size()), jsonEventsWithHostile);
    KAFKA.get().produce("j-labels", keys(jsonLabelsWithHostile.size()), jsonLabelsWithHostile);
    KAFKA.get().produce("a-events", keys(avroEvents.size()), avroEvents);
    KAFKA.get().produce("a-labels", keys(avroLabels.size()), avroLabels);
    KAFKA.get().produce("ji-events", keys(EVENTS), jsonInline);
    KAFKA.get().produce("ai-events", keys(EVENTS), avroInline);

    JobConfig json =
        config("j")
            .set(JsonRecords.EVENTS_FORMAT, "json")
            .set(JsonRecords.LABELS_FORMAT, "json")
            .set(JsonRecords.SCORES_FORMAT, "json")
            .set(JsonRecords.REQUEST_ID, "req")
            .set(JsonRecords.EVENT_TIME, "ts")
            .set(JsonRecords.LABEL_TASK, "what")
            .set(JsonRecords.LABEL_VALUE, "clicked")
            .set(JsonRecords.LABEL_TIME, "at")
            .build();
    JobTestKit.runToEnd(json, "json-topics");
    JobTestKit.runToEnd(config("a").build(), "avro-topics");
    JobTestKit.runToEnd(
        config("ji")
            .set(JsonRecords.EVENTS_FORMAT, "json")
            .set(JsonRecords.REQUEST_ID, "req")
            .set(JsonRecords.EVENT_TIME, "ts")
            .build(),
        "json-inline-labels");
    JobTestKit.runToEnd(config("ai").build(), "avro-inline-labels");

    Map<String, Integer> scored = new HashMap<>();
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    for (byte[] b : KAFKA.get().readCommitted("j-scores", Duration.ofSeconds(3))) {
      // scores.format=json, under the configured names: {"req", "modelId", "modelVersion",
      // "scores",
      // "ts", "scoringTime"}
      var s = mapper.readTree(b);
      String request = s.get("req").asText();
      assertThat(s.get("modelId").asText()).isEqualTo("shop");
      assertThat(s.get("modelVersion").asLong()).isBetween(0L, 3L);
      assertThat(s.get("scores").get("click").asDouble()).isBetween(0.0, 1.0);
      assertThat(s.get("ts").asLong())
          .isEqualTo(T0 + 1000L * Integer.parseInt(request.substring(1)));
      assertThat(s.get("scoringTime").asLong()).isPositive();
      scored.merge(request, 1, Integer::sum);
    }
    assertThat(scored).hasSize(EVENTS);
    assertThat(scored.values()).allMatch(c -> c == 1);
    // (Not score for score as the Avro run: when a step lands between two scores depends on how the
    // two topics' records interleave, which no run fixes.)
    for (byte[] b : KAFKA.get().readCommitted("a-scores", Duration.ofSeconds(3))) {
      scored.merge(WireCodec.scores().decode(b).getRequestId(), 1, Integer::sum);
    }
    assertThat(scored.values()).as("each event scored once in each run").allMatch(c -> c == 2);

    List<String> reasons = new ArrayList<>();
    for (byte[] b : KAFKA.get().readCommitted("j-dead", Duration.ofSeconds(2))) {
      reasons.add(WireCodec.deadLetters().decode(b).getReason());
    }
    assertThat(reasons).hasSize(hostile.size() + 2);
    for (String expected : hostile.values()) {
      assertThat(reasons).as(expected).anyMatch(r -> r.contains(expected));
    }
    assertThat(reasons).anyMatch(r -> r.contains("label for unknown task 'buy'"));
    assertThat(reasons).anyMatch(r -> r.contains("missing or not a number: 'clicked'"));

    // 600 examples in 3 steps: the last snapshot (version 3) holds them all.
    assertThat(snapshot("j").position().examplesTrained()).isEqualTo(EVENTS);
    // Learning as from Avro: with the labels inside the events the examples reach the learner in
    // the topic's order, so the progressive AUC can be compared (through the join, the order of
    // impressions and labels released together depends on how the two topics interleave).
    ModelSnapshot fromJson = snapshot("ji");
    ModelSnapshot fromAvro = snapshot("ai");
    assertThat(fromJson.position().examplesTrained()).isEqualTo(EVENTS);
    double auc = fromJson.metrics().get("click.progressive_auc");
    assertThat(auc)
        .isCloseTo(
            fromAvro.metrics().get("click.progressive_auc"),
            org.assertj.core.api.Assertions.within(0.002))
        .as("progressive AUC %s: the model learns", auc)
        .isGreaterThan(0.55);
  }

  private static JobConfig.Builder config(String prefix) {
    return JobTestKit.config(KAFKA.get().bootstrapServers(), dir.resolve(prefix), "shop")
        .set(JobConfig.EVENTS_TOPIC, prefix + "-events")
        .set(JobConfig.LABELS_TOPIC, prefix + "-labels")
        .set(JobConfig.SCORES_TOPIC, prefix + "-scores")
        .set(JobConfig.DEAD_LETTER_TOPIC, prefix + "-dead")
        .set(JobConfig.GROUP_ID, "json-itcase-" + prefix)
        .set(JobConfig.TRANSACTIONAL_ID_PREFIX, "json-itcase-" + prefix)
        .set(JobConfig.PARALLELISM, 1)
        .set(JobConfig.BOUNDED, true)
        .set(JobConfig.CHECKPOINT_INTERVAL_MS, 500L)
        .set(LearnerOptions.SNAPSHOT_DIR, dir.resolve(prefix + "-snapshots").toString());
  }

  private static ModelSnapshot snapshot(String prefix) throws Exception {
    return ModelSnapshot.read(
        ModelSnapshot.directory(dir.resolve(prefix + "-snapshots"), "shop", 3),
        ai.hiformer.model.optim.OptimizerConfig.defaults());
  }

  /** Event i in the job's Avro format, as the JSON one says it. */
  private static byte[] avroEvent(
      int i, int user, int item, double price, Map<String, Double> labels) {
    return WireCodec.events()
        .encode(
            Event.newBuilder()
                .setRequestId("r" + i)
                .setModelId("shop")
                .setEventTime(Instant.ofEpochMilli(T0 + 1000L * i))
                .setCategorical(Map.of("user", "u" + user, "item", "i" + item))
                .setMulti(Map.of("tags", List.of("t" + item % 4, "t" + user % 5)))
                .setNumeric(Map.of("price", price))
                .setLabels(labels)
                .build());
  }

  private static List<byte[]> keys(int n) {
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(utf8("shop"));
    }
    return keys;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
