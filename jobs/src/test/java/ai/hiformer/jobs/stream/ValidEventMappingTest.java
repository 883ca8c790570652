package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.WireCodec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A joined example travels to the learner as the label join's bytes: the learner reads the same
 * features from them as from the event's maps, and a rejection still dead-letters the whole event.
 */
class ValidEventMappingTest {
  private static final FeatureSpec SPEC =
      FeatureSpec.parse(
          """
          {"format": "jsonl", "tasks": [{"name": "click"}],
           "fields": [{"name": "user", "kind": "categorical"}, {"name": "price", "kind": "numeric"},
                      {"name": "age", "kind": "numeric"}, {"name": "tags", "kind": "multi"}]}""");

  private static ValidEvent event() {
    ValidEvent e = new ValidEvent();
    e.modelId = "m";
    e.requestId = "r1";
    e.eventTimeMillis = 1_700_000_123_456L;
    e.categorical = Map.of("user", "u1", "age", "41");
    e.numeric = Map.of("price", 2.5, "age", 7.0);
    e.multi = Map.of("tags", List.of("a", "b"));
    e.labels = Map.of();
    return e;
  }

  private static ValidEvent joined(ValidEvent impression) {
    ValidEvent j = new ValidEvent();
    j.modelId = impression.modelId;
    j.requestId = impression.requestId;
    j.eventTimeMillis = impression.eventTimeMillis;
    j.impression = new ImpressionCodec(SPEC).encode(impression);
    j.labels = Map.of("click", 1.0);
    j.labelled = true;
    j.trainOnly = true;
    return j;
  }

  /**
   * Every column of the spec (and one it lacks) reads the same from {@code bytes} as from {@code
   * maps}.
   */
  private static void assertReadsAlike(Row bytes, Row maps) {
    for (String column : List.of("user", "price", "age", "tags", "eventTime", "unread")) {
      assertThat(bytes.text(column)).as("text of %s", column).isEqualTo(maps.text(column));
      assertThat(bytes.hasNumber(column))
          .as("number of %s", column)
          .isEqualTo(maps.hasNumber(column));
      assertThat(bytes.list(column)).as("list of %s", column).isEqualTo(maps.list(column));
    }
  }

  @Test
  void theJoinsBytesReadAsTheEventsMapsRead() {
    ValidEvent e = event();
    ValidEventMapping mapping = new ValidEventMapping(ImpressionCodec.columnsOf(SPEC));
    Row maps = new EventRow().reset(e, "r1");
    Row bytes = mapping.features(joined(e));
    assertReadsAlike(bytes, maps);
    assertThat(bytes.number("price")).isEqualTo(2.5);
    assertThat(bytes.text("age")).as("a column in both maps reads as its text").isEqualTo("41");
  }

  @Test
  void textOutsideAsciiReadsBackAsItWasWritten() {
    ValidEvent e = event();
    // Two- and three-byte characters, a surrogate pair, and an unpaired surrogate (which UTF-8
    // cannot hold: it becomes '?', as String.getBytes writes it).
    e.categorical = Map.of("user", "zoë-北京-\uD83D\uDE00", "age", "x\uD800y");
    e.multi = Map.of("tags", List.of("a", "é".repeat(200), ""));
    Row bytes = new ValidEventMapping(ImpressionCodec.columnsOf(SPEC)).features(joined(e));
    assertThat(bytes.text("user")).isEqualTo("zoë-北京-\uD83D\uDE00");
    assertThat(bytes.text("age")).isEqualTo("x?y");
    assertThat(bytes.list("tags")).containsExactly("a", "é".repeat(200), "");
  }

  @Test
  void aDecodedEventTravelsAsItsEncodedColumnsAndReadsAsItsMapsDid() {
    ValidEvent labelled = event();
    labelled.labels = Map.of("click", 1.0);
    labelled.labelled = true;
    Row maps = new EventRow().reset(event(), "r1");
    ImpressionCodec codec = new ImpressionCodec(SPEC);
    ValidEvent encoded = codec.withColumnsEncoded(labelled);
    assertThat(encoded.categorical).isNull();
    assertThat(encoded.numeric).isNull();
    assertThat(encoded.multi).isNull();
    assertThat(encoded.labels).containsEntry("click", 1.0);
    assertThat(codec.encode(encoded))
        .as("the join keeps the bytes it is given")
        .isSameAs(encoded.impression);
    Row bytes = new ValidEventMapping(ImpressionCodec.columnsOf(SPEC)).features(encoded);
    assertReadsAlike(bytes, maps);
  }

  @Test
  void aRejectedJoinedExampleIsDeadLetteredWithItsColumnsAndLabels() throws Exception {
    ValidEvent j = joined(event());
    Event back =
        WireCodec.events()
            .decode(new ValidEventMapping(ImpressionCodec.columnsOf(SPEC)).payload(j));
    assertThat(back.getRequestId()).isEqualTo("r1");
    assertThat(back.getEventTime().toEpochMilli()).isEqualTo(1_700_000_123_456L);
    assertThat(back.getCategorical()).containsEntry("user", "u1").containsEntry("age", "41");
    assertThat(back.getNumeric()).containsEntry("price", 2.5);
    assertThat(back.getMulti()).containsEntry("tags", List.of("a", "b"));
    assertThat(back.getLabels()).containsEntry("click", 1.0);
  }
}
