package ai.hiformer.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

class WireFormatTest {
  private static final Event EVENT =
      Event.newBuilder()
          .setRequestId("r1")
          .setModelId("m1")
          .setEventTime(java.time.Instant.ofEpochMilli(1000))
          .setCategorical(Map.of("user", "u1"))
          .setMulti(Map.of("tags", List.of("a")))
          .setNumeric(Map.of("price", 2.0))
          .setLabels(Map.of())
          .build();

  @Test
  void everyRecordStartsWithTheHeaderThatNamesItsSchemasCanonicalFingerprint() {
    WireFormat events = WireFormat.of("event");
    byte[] bytes = WireCodec.events().encode(EVENT);
    assertThat(Arrays.copyOf(bytes, 10)).isEqualTo(events.header());
    assertThat(events.fingerprint())
        .isEqualTo(SchemaNormalization.parsingFingerprint64(Event.getClassSchema()));
    assertThat(events.check(bytes)).isNull();
    assertThat(WireFormat.ALL).extracting(WireFormat::type).contains("label", "score");
  }

  @Test
  void theReadmeListsEveryHeaderAsItIs() throws Exception {
    String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
    for (WireFormat f : WireFormat.ALL) {
      assertThat(readme)
          .as(f.type())
          .contains(String.format("`%016x`", f.fingerprint()))
          .contains("`" + HexFormat.of().formatHex(f.header()) + "`");
    }
  }

  @Test
  void aHeaderWithAnotherFingerprintIsNamedBesideTheOneToWrite() {
    WireFormat events = WireFormat.of("event");
    byte[] bytes = WireCodec.events().encode(EVENT);
    bytes[5] ^= 0x5A; // a client that fingerprinted its own reading of the schema
    String reason = events.check(bytes);
    assertThat(reason)
        .startsWith("written with an unknown schema")
        .contains("Event's is " + HexFormat.of().formatHex(events.header(), 2, 10))
        .contains("write the header " + HexFormat.of().formatHex(events.header()));
  }

  @Test
  void aTruncatedRecordOrAnUnknownTypeSaysWhat() {
    byte[] bytes = WireCodec.events().encode(EVENT);
    assertThat(WireFormat.of("event").check(Arrays.copyOf(bytes, bytes.length - 3)))
        .startsWith("corrupt or truncated Avro body");
    assertThat(WireFormat.of("label").check(bytes)).startsWith("written with an unknown schema");
    assertThatThrownBy(() -> WireFormat.of("click"))
        .hasMessage("invalid type = 'click'; allowed: event, label, score, dead-letter");
  }
}
