package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.local.cluster.LocalSchemaRegistry;
import ai.hiformer.schemas.WireCodec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a user's own Avro topics as Confluent serializers write them (schema ids registered in
 * a real schema registry, run as its own process), with the user's field names mapped by
 * configuration: every event is scored once, every hostile record is dead-lettered with its reason,
 * and the model learns as it does from the same data in the job's own Avro format.
 */
class ConfluentTopicsITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(1);

  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  @TempDir static Path dir;

  private static LocalSchemaRegistry registry;

  /** The user's impression: their own names and types, labels optional. */
  private static final Schema IMPRESSION =
      parse(
          """
          {"type": "record", "name": "ShopImpression", "namespace": "com.example", "fields": [
            {"name": "req", "type": "string"},
            {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "user", "type": "string"},
            {"name": "item", "type": "string"},
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "price", "type": "double"},
            {"name": "labels", "type": ["null", {"type": "map", "values": "double"}], "default": null}
          ]}
          """);

  private static final Schema CLICK =
      parse(
          """
          {"type": "record", "name": "ShopClick", "namespace": "com.example", "fields": [
            {"name": "req", "type": "string"},
            {"name": "what", "type": "string"},
            {"name": "clicked", "type": "int"},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}}
          ]}
          """);

  /** A producer that wrote the user as a record: a wrong type for a feature column. */
  private static final Schema USER_AS_RECORD =
      parse(
          """
          {"type": "record", "name": "OddImpression", "namespace": "com.example", "fields": [
            {"name": "req", "type": "string"},
            {"name": "ts", "type": "long"},
            {"name": "user", "type": {"type": "record", "name": "U", "fields": [
              {"name": "id", "type": "int"}]}}
          ]}
          """);

  /** A producer that lost the request id. */
  private static final Schema NO_REQUEST_ID =
      parse(
          """
          {"type": "record", "name": "Anonymous", "namespace": "com.example", "fields": [
            {"name": "ts", "type": "long"},
            {"name": "user", "type": "string"}
          ]}
          """);

  @BeforeAll
  static void startRegistry() throws Exception {
    registry = LocalSchemaRegistry.start(Path.of("target", "schema-registry-itcase.log"));
  }

  @AfterAll
  static void stopRegistry() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void registryFramedAvroTopicsScoreEveryEventOnceDeadLetterTheRestAndLearnAsAvroDoes()
      throws Exception {
    ShopStream.createTopics(KAFKA.get(), "c", "ci", "ai");
    int impressionId = registry.register("c-events-value", IMPRESSION.toString());
    int clickId = registry.register("c-labels-value", CLICK.toString());
    List<byte[]> events = new ArrayList<>();
    List<byte[]> labels = new ArrayList<>();
    List<byte[]> inline = new ArrayList<>(); // the same events carrying their labels
    List<byte[]> avroInline = new ArrayList<>();
    for (ShopStream.Impression m : ShopStream.impressions()) {
      events.add(ConfluentAvroTest.framed(impressionId, impression(m, null, m.price())));
      inline.add(
          ConfluentAvroTest.framed(
              impressionId, impression(m, Map.of("click", (double) m.click()), m.price())));
      labels.add(
          ConfluentAvroTest.framed(
              clickId, click(m.request(), "click", m.click(), m.labelTimeMillis())));
      avroInline.add(m.avroEvent(true));
    }
    ShopStream.Impression first = ShopStream.impressions().get(0);
    byte[] good = ConfluentAvroTest.framed(impressionId, impression(first, null, 1.0));
    byte[] unknownId = good.clone();
    unknownId[1] = 0x7f; // an id no one registered
    GenericRecord odd = new GenericData.Record(USER_AS_RECORD);
    odd.put("req", "x3");
    odd.put("ts", 1L);
    GenericRecord u = new GenericData.Record(USER_AS_RECORD.getField("user").schema());
    u.put("id", 1);
    odd.put("user", u);
    GenericRecord anonymous = new GenericData.Record(NO_REQUEST_ID);
    anonymous.put("ts", 1L);
    anonymous.put("user", "u1");
    // Hostile records, each with what its dead letter must say
    Map<byte[], String> hostile = new LinkedHashMap<>();
    hostile.put(Arrays.copyOf(good, good.length - 3), "truncated");
    hostile.put(unknownId, "unknown schema id " + ((0x7f << 24) | impressionId));
    hostile.put(
        ConfluentAvroTest.framed(registry.register("c-odd-value", odd.getSchema().toString()), odd),
        "field 'user' is OBJECT");
    hostile.put(
        ConfluentAvroTest.framed(
            registry.register("c-anonymous-value", NO_REQUEST_ID.toString()), anonymous),
        "missing or not a string: 'req'");
    hostile.put(
        ConfluentAvroTest.framed(impressionId, impression(first, null, Double.NaN)),
        "numeric 'price' is not finite");
    hostile.put(ShopStream.utf8("{\"req\": \"x1\"}"), "not Confluent-framed Avro");
    List<byte[]> eventsWithHostile = new ArrayList<>(events);
    int h = 0;
    for (byte[] bad : hostile.keySet()) {
      eventsWithHostile.add(50 * ++h, bad);
    }
    List<byte[]> labelsWithHostile = new ArrayList<>(labels);
    labelsWithHostile.add(ConfluentAvroTest.framed(clickId, click("r1", "buy", 1, ShopStream.T0)));
    labelsWithHostile.add(
        ConfluentAvroTest.framed(clickId, click("r2", "click", 2, ShopStream.T0)));
    KAFKA.get().produce("c-events", ShopStream.keys(eventsWithHostile.size()), eventsWithHostile);
    KAFKA.get().produce("c-labels", ShopStream.keys(labelsWithHostile.size()), labelsWithHostile);
    KAFKA.get().produce("ci-events", ShopStream.keys(inline.size()), inline);
    KAFKA.get().produce("ai-events", ShopStream.keys(avroInline.size()), avroInline);

    JobTestKit.runToEnd(confluent("c").build(), "confluent-topics");
    JobTestKit.runToEnd(confluent("ci").build(), "confluent-inline-labels");
    JobTestKit.runToEnd(ShopStream.config(KAFKA.get(), dir, "ai").build(), "avro-inline-labels");

    Map<String, Integer> scored = new HashMap<>();
    for (byte[] b : KAFKA.get().readCommitted("c-scores", Duration.ofSeconds(3))) {
      scored.merge(WireCodec.scores().decode(b).getRequestId(), 1, Integer::sum);
    }
    assertThat(scored).hasSize(ShopStream.EVENTS);
    assertThat(scored.values()).as("each event scored once").allMatch(c -> c == 1);

    List<String> reasons = new ArrayList<>(hostile.values());
    reasons.add("label for unknown task 'buy'");
    reasons.add("must be 0 or 1, got 2.0");
    ShopStream.assertDeadLettered(KAFKA.get(), "c", reasons);

    assertThat(ShopStream.lastSnapshot(dir, "c").position().examplesTrained())
        .isEqualTo(ShopStream.EVENTS);
    ShopStream.assertLearnsAsTheOwnFormat(dir, "ci", "ai");
  }

  private static JobConfig.Builder confluent(String prefix) {
    return ShopStream.config(KAFKA.get(), dir, prefix)
        .set(MappedRecords.EVENTS_FORMAT, "avro-confluent")
        .set(MappedRecords.LABELS_FORMAT, "avro-confluent")
        .set(MappedRecords.SCHEMA_REGISTRY_URL, registry.url())
        .set(MappedRecords.REQUEST_ID, "req")
        .set(MappedRecords.EVENT_TIME, "ts")
        .set(MappedRecords.LABEL_TASK, "what")
        .set(MappedRecords.LABEL_VALUE, "clicked")
        .set(MappedRecords.LABEL_TIME, "at");
  }

  private static GenericRecord impression(
      ShopStream.Impression m, Map<String, Double> labels, double price) {
    GenericRecord r = new GenericData.Record(IMPRESSION);
    r.put("req", m.request());
    r.put("ts", m.timeMillis());
    r.put("user", "u" + m.user());
    r.put("item", "i" + m.item());
    r.put("tags", m.tags());
    r.put("price", price);
    r.put("labels", labels);
    return r;
  }

  private static GenericRecord click(String request, String task, int clicked, long atMillis) {
    GenericRecord r = new GenericData.Record(CLICK);
    r.put("req", request);
    r.put("what", task);
    r.put("clicked", clicked);
    r.put("at", atMillis);
    return r;
  }

  private static Schema parse(String json) {
    return new Schema.Parser().parse(json);
  }
}
