package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.schemas.WireCodec;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

class ConfluentAvroTest {
  static final Schema IMPRESSION =
      new Schema.Parser()
          .parse(
              """
              {"type": "record", "name": "Impression", "fields": [
                {"name": "req", "type": "string"},
                {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
                {"name": "device", "type": {"type": "enum", "name": "Device", "symbols": ["PHONE", "WEB"]}},
                {"name": "tags", "type": {"type": "array", "items": "string"}},
                {"name": "price", "type": ["null", "double"], "default": null},
                {"name": "labels", "type": {"type": "map", "values": "double"}},
                {"name": "premium", "type": "boolean"}
              ]}
              """);

  private int lookups;
  private final ConfluentAvro avro =
      new ConfluentAvro(
          id -> {
            lookups++;
            if (id != 7) {
              throw new WireCodec.DecodeException("unknown schema id " + id);
            }
            return IMPRESSION;
          });

  /** A record as a Confluent serializer writes it: 0, the id (big-endian), the Avro binary. */
  static byte[] framed(int id, GenericRecord record) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static GenericRecord impression(Double price) {
    GenericData.Record r = new GenericData.Record(IMPRESSION);
    r.put("req", "r1");
    r.put("ts", 1_700_000_000_123_456L);
    r.put("device", new GenericData.EnumSymbol(IMPRESSION.getField("device").schema(), "WEB"));
    r.put("tags", List.of("a", "b"));
    r.put("price", price);
    r.put("labels", Map.of("click", 1.0));
    r.put("premium", true);
    return r;
  }

  @Test
  void aFramedRecordBecomesATreeOfItsFieldsByTheSchemaItsIdNames() throws Exception {
    JsonNode t = avro.tree(framed(7, impression(12.5)));

    assertThat(t.get("req").asText()).isEqualTo("r1");
    assertThat(t.get("ts").longValue()).as("microseconds read as ms").isEqualTo(1_700_000_000_123L);
    assertThat(t.get("device").asText()).isEqualTo("WEB");
    assertThat(t.get("tags")).hasSize(2);
    assertThat(t.get("tags").get(1).asText()).isEqualTo("b");
    assertThat(t.get("price").doubleValue()).isEqualTo(12.5);
    assertThat(t.get("labels").get("click").doubleValue()).isEqualTo(1.0);
    assertThat(t.get("premium").booleanValue()).isTrue();
    assertThat(avro.tree(framed(7, impression(null))).get("price").isNull()).isTrue();
  }

  @Test
  void whatCannotBeReadIsRefusedWithItsReason() throws Exception {
    byte[] good = framed(7, impression(1.0));

    assertThatThrownBy(() -> avro.tree(Arrays.copyOf(good, good.length - 4)))
        .isInstanceOf(WireCodec.DecodeException.class)
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> avro.tree(Arrays.copyOf(good, good.length + 3)))
        .hasMessageContaining("bytes left over");
    byte[] otherId = good.clone();
    otherId[4] = 8;
    assertThatThrownBy(() -> avro.tree(otherId)).hasMessageContaining("unknown schema id 8");
    byte[] json = ShopStream.utf8("{\"req\": \"r1\"}");
    assertThatThrownBy(() -> avro.tree(json)).hasMessageContaining("first byte 123, expected 0");
    assertThatThrownBy(() -> avro.tree(new byte[] {0, 0, 0}))
        .hasMessageContaining("shorter than the 5-byte header");
    assertThatThrownBy(() -> avro.tree(null)).hasMessageContaining("no value");
  }

  @Test
  void eachIdIsAskedForOnceAndAnUnknownOneNotOncePerRecord() throws Exception {
    byte[] good = framed(7, impression(1.0));
    byte[] otherId = good.clone();
    otherId[4] = 9;
    for (int i = 0; i < 100; i++) {
      avro.tree(good);
      assertThatThrownBy(() -> avro.tree(otherId)).hasMessageContaining("unknown schema id 9");
    }
    assertThat(lookups).as("id 7 once, id 9 once within 10 s").isEqualTo(2);
  }

  @Test
  void aMissingRegistryURLFailsNamingTheKey() {
    assertThatThrownBy(() -> ConfluentAvro.fromRegistry(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("schema-registry.url");
  }
}
