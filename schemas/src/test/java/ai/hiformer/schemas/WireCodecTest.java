package ai.hiformer.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class WireCodecTest {
  private static Event event() {
    return Event.newBuilder()
        .setRequestId("r1")
        .setModelId("m1")
        .setEventTime(java.time.Instant.ofEpochMilli(1000))
        .setCategorical(Map.of("user", "u1"))
        .setMulti(Map.of("tags", List.of("a", "b")))
        .setNumeric(Map.of("price", 3.5))
        .setLabels(Map.of("click", 1.0))
        .build();
  }

  @Test
  void eventsRoundTripInSingleObjectEncoding() throws Exception {
    WireCodec<Event> codec = WireCodec.events();
    byte[] bytes = codec.encode(event());
    assertThat(bytes[0]).isEqualTo((byte) 0xC3); // single-object marker
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    assertThat(codec.decode(bytes)).isEqualTo(event());
  }

  @Test
  void dataWrittenWithTheOldSchemaIsReadByAReaderWithAnAddedField() throws Exception {
    // v1 of Event had no "labels" field; today's reader adds it with a default.
    Schema v1 =
        new Schema.Parser()
            .parse(
                """
        {"type": "record", "name": "Event", "namespace": "ai.hiformer.schemas", "fields": [
          {"name": "requestId", "type": "string"}, {"name": "modelId", "type": "string"},
          {"name": "eventTime", "type": {"type": "long", "logicalType": "timestamp-millis"}},
          {"name": "categorical", "type": {"type": "map", "values": "string"}, "default": {}},
          {"name": "multi", "type": {"type": "map", "values": {"type": "array", "items": "string"}}, "default": {}},
          {"name": "numeric", "type": {"type": "map", "values": "double"}, "default": {}}]}""");
    GenericRecord old = new GenericData.Record(v1);
    old.put("requestId", "r9");
    old.put("modelId", "m2");
    old.put("eventTime", 5L);
    old.put("categorical", Map.of("user", "u9"));
    old.put("multi", Map.of());
    old.put("numeric", Map.of("price", 1.0));
    byte[] bytes =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old).array();

    WireCodec<Event> reader = WireCodec.events();
    assertThatThrownBy(() -> reader.decode(bytes)).hasMessageContaining("unknown schema");
    Event e = reader.addWriterSchema(v1).decode(bytes);
    assertThat(e.getRequestId()).isEqualTo("r9");
    assertThat(e.getCategorical()).containsEntry("user", "u9");
    assertThat(e.getLabels()).isEmpty(); // the added field's default
  }

  @Test
  void garbageAndAnotherSchemaAreRejectedWithAReason() {
    WireCodec<Event> codec = WireCodec.events();
    assertThatThrownBy(() -> codec.decode(new byte[] {1, 2, 3}))
        .hasMessageContaining("not Avro single-object");
    byte[] label =
        WireCodec.labels()
            .encode(
                Label.newBuilder()
                    .setRequestId("r")
                    .setModelId("m")
                    .setTask("click")
                    .setValue(1)
                    .setTime(java.time.Instant.EPOCH)
                    .build());
    assertThatThrownBy(() -> codec.decode(label)).hasMessageContaining("unknown schema");
    byte[] truncated = java.util.Arrays.copyOf(codec.encode(event()), 14);
    assertThatThrownBy(() -> codec.decode(truncated)).hasMessageContaining("corrupt or truncated");
  }
}
