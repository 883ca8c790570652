package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.schemas.WireCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  private static final int EVENTS = ShopStream.EVENTS;
  private static final long T0 = ShopStream.T0;

  @Test
  void jsonTopicsScoreEveryEventOnceDeadLetterTheRestAndLearnAsAvroDoes() throws Exception {
    ShopStream.createTopics(KAFKA.get(), "j", "a", "ji", "ai");
    List<byte[]> jsonEvents = new ArrayList<>();
    List<byte[]> jsonLabels = new ArrayList<>();
    List<byte[]> avroEvents = new ArrayList<>();
    List<byte[]> avroLabels = new ArrayList<>();
    List<byte[]> jsonInline = new ArrayList<>(); // the same events carrying their labels
    List<byte[]> avroInline = new ArrayList<>();
    for (ShopStream.Impression m : ShopStream.impressions()) {
      String tags = "[\"" + String.join("\", \"", m.tags()) + "\"]";
      jsonEvents.add(
          ShopStream.utf8(
              String.format(
                  "{\"req\": \"%s\", \"ts\": \"%s\", \"user\": \"u%d\", \"item\": \"i%d\","
                      + " \"tags\": %s, \"price\": %s}",
                  m.request(),
                  Instant.ofEpochMilli(m.timeMillis()),
                  m.user(),
                  m.item(),
                  tags,
                  m.price())));
      jsonInline.add(
          ShopStream.utf8(
              String.format(
                  "{\"req\": \"%s\", \"ts\": %d, \"user\": \"u%d\", \"item\": \"i%d\","
                      + " \"tags\": %s, \"price\": %s, \"labels\": {\"click\": %d}}",
                  m.request(), m.timeMillis(), m.user(), m.item(), tags, m.price(), m.click())));
      avroInline.add(m.avroEvent(true));
      jsonLabels.add(
          ShopStream.utf8(
              String.format(
                  "{\"req\": \"%s\", \"what\": \"click\", \"clicked\": %d, \"at\": %d}",
                  m.request(), m.click(), m.labelTimeMillis())));
      avroEvents.add(m.avroEvent(false));
      avroLabels.add(m.avroLabel());
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
      jsonEventsWithHostile.add(50 * (h + 1), ShopStream.utf8(hostileOrder.get(h)));
    }
    List<byte[]> jsonLabelsWithHostile = new ArrayList<>(jsonLabels);
    jsonLabelsWithHostile.add(
        ShopStream.utf8("{\"req\": \"r1\", \"what\": \"buy\", \"clicked\": 1, \"at\": 1}"));
    jsonLabelsWithHostile.add(
        ShopStream.utf8("{\"req\": \"r2\", \"what\": \"click\", \"clicked\": \"yes\"}"));
    KAFKA
        .get()
        .produce("j-events", ShopStream.keys(jsonEventsWithHostile.size()), jsonEventsWithHostile);
    KAFKA
        .get()
        .produce("j-labels", ShopStream.keys(jsonLabelsWithHostile.size()), jsonLabelsWithHostile);
    KAFKA.get().produce("a-events", ShopStream.keys(avroEvents.size()), avroEvents);
    KAFKA.get().produce("a-labels", ShopStream.keys(avroLabels.size()), avroLabels);
    KAFKA.get().produce("ji-events", ShopStream.keys(EVENTS), jsonInline);
    KAFKA.get().produce("ai-events", ShopStream.keys(EVENTS), avroInline);

    JobConfig json =
        config("j")
            .set(MappedRecords.EVENTS_FORMAT, "json")
            .set(MappedRecords.LABELS_FORMAT, "json")
            .set(MappedRecords.SCORES_FORMAT, "json")
            .set(MappedRecords.REQUEST_ID, "req")
            .set(MappedRecords.EVENT_TIME, "ts")
            .set(MappedRecords.LABEL_TASK, "what")
            .set(MappedRecords.LABEL_VALUE, "clicked")
            .set(MappedRecords.LABEL_TIME, "at")
            .build();
    JobTestKit.runToEnd(json, "json-topics");
    JobTestKit.runToEnd(config("a").build(), "avro-topics");
    JobTestKit.runToEnd(
        config("ji")
            .set(MappedRecords.EVENTS_FORMAT, "json")
            .set(MappedRecords.REQUEST_ID, "req")
            .set(MappedRecords.EVENT_TIME, "ts")
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

    List<String> reasons = new ArrayList<>(hostile.values());
    reasons.add("label for unknown task 'buy'");
    reasons.add("missing or not a number: 'clicked'");
    ShopStream.assertDeadLettered(KAFKA.get(), "j", reasons);

    // 600 examples in 3 steps: the last snapshot (version 3) holds them all.
    assertThat(snapshot("j").position().examplesTrained()).isEqualTo(EVENTS);
    ShopStream.assertLearnsAsTheOwnFormat(dir, "ji", "ai");
  }

  private static JobConfig.Builder config(String prefix) {
    return ShopStream.config(KAFKA.get(), dir, prefix);
  }

  private static ModelSnapshot snapshot(String prefix) throws Exception {
    return ShopStream.lastSnapshot(dir, prefix);
  }
}
