package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MappedRecordsTest {
  private static MappedRecords records(String... modelIds) {
    return new MappedRecords(
        JobConfig.builder()
            .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
            .set(JobConfig.MODEL_IDS, Set.of(modelIds))
            .set(LearnerOptions.FEATURE_SPEC, JobTestKit.SPEC)
            .modelConfig(
                ai.hiformer.model.ModelConfig.builder(ai.hiformer.model.ModelKind.LR).build())
            .set(MappedRecords.REQUEST_ID, "id")
            .set(MappedRecords.MODEL_ID, "market")
            .build());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void anEventsFieldsBecomeColumnsByTheirJsonType() throws Exception {
    Event e =
        records("a", "b")
            .event(
                utf8(
                    "{\"id\": \"r1\", \"market\": \"b\", \"eventTime\": \"2026-12-06T10:00:00Z\","
                        + " \"user\": \"u1\", \"item\": 42, \"tags\": [\"x\", 7], \"vip\": true,"
                        + " \"note\": null, \"labels\": {\"click\": 1}}"));
    assertThat(e.getRequestId()).isEqualTo("r1");
    assertThat(e.getModelId()).isEqualTo("b");
    assertThat(e.getEventTime()).isEqualTo(Instant.parse("2026-12-06T10:00:00Z"));
    assertThat(e.getCategorical()).isEqualTo(Map.of("user", "u1", "vip", "true"));
    assertThat(e.getNumeric()).isEqualTo(Map.of("item", 42.0));
    assertThat(e.getMulti()).isEqualTo(Map.of("tags", List.of("x", "7")));
    assertThat(e.getLabels()).isEqualTo(Map.of("click", 1.0));
  }

  @Test
  void withoutAModelFieldARecordGoesToTheOnlyModelAndOtherwiseIsRejected() throws Exception {
    byte[] noModel = utf8("{\"id\": \"r1\", \"eventTime\": 1000, \"user\": \"u1\"}");
    assertThat(records("only").event(noModel).getModelId()).isEqualTo("only");
    assertThat(records("only").event(noModel).getEventTime()).isEqualTo(Instant.ofEpochMilli(1000));
    assertThatThrownBy(() -> records("a", "b").event(noModel))
        .isInstanceOf(WireCodec.DecodeException.class)
        .hasMessage("missing or not a string: 'market'");
  }

  @Test
  void aLabelNamesItsTaskValueAndTime() throws Exception {
    Label l =
        records("only")
            .label(utf8("{\"id\": \"r9\", \"task\": \"click\", \"value\": 0, \"time\": 5}"));
    assertThat(l.getRequestId()).isEqualTo("r9");
    assertThat(l.getModelId()).isEqualTo("only");
    assertThat(l.getTask()).isEqualTo("click");
    assertThat(l.getValue()).isZero();
    assertThat(l.getTime()).isEqualTo(Instant.ofEpochMilli(5));
    assertThatThrownBy(() -> records("only").label(utf8("{\"id\": \"r9\", \"task\": \"click\"}")))
        .hasMessage("missing or not a number: 'value'");
    assertThatThrownBy(() -> records("only").label(utf8("")))
        .hasMessageStartingWith("not a JSON object");
  }
}
