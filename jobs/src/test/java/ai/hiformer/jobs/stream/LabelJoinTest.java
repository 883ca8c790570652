package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.schemas.Event;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The label join with Flink's operator test harness: outputs, state and timers, and a restore. */
class LabelJoinTest {
  private static final String SPEC =
      """
      {"format": "jsonl", "tasks": [{"name": "click"}, {"name": "buy"}],
       "fields": [{"name": "user", "kind": "categorical"}]}""";
  private static final JobConfig CONFIG =
      JobConfig.builder()
          .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
          .set(JobConfig.MODEL_IDS, Set.of("m"))
          .set(LearnerOptions.FEATURE_SPEC, SPEC)
          .modelConfig(ModelConfig.builder(ModelKind.LR).build())
          .set(JobConfig.LABEL_WINDOW_MS, 1000L)
          .build();

  private KeyedTwoInputStreamOperatorTestHarness<String, ValidEvent, ValidLabel, ValidEvent>
      harness() throws Exception {
    var h =
        new KeyedTwoInputStreamOperatorTestHarness<>(
            new KeyedCoProcessOperator<>(new LabelJoin(CONFIG)),
            (ValidEvent e) -> LabelJoin.key(e.modelId, e.requestId),
            (ValidLabel l) -> LabelJoin.key(l.modelId, l.requestId),
            Types.STRING);
    h.open();
    return h;
  }

  private ValidEvent impression(String id) {
    return impression("m", id);
  }

  private ValidEvent impression(String model, String id) {
    return ValidEvent.of(
        Event.newBuilder()
            .setRequestId(id)
            .setModelId(model)
            .setEventTime(Instant.EPOCH)
            .setCategorical(Map.of("user", "u"))
            .build());
  }

  private List<Event> outputs(
      KeyedTwoInputStreamOperatorTestHarness<String, ValidEvent, ValidLabel, ValidEvent> h)
      throws Exception {
    List<Event> out = new ArrayList<>();
    for (Object o : h.getOutput()) {
      if (o instanceof StreamRecord<?> r) {
        ValidEvent v = (ValidEvent) r.getValue();
        assertThat(v.trainOnly).isTrue();
        out.add(v.toEvent());
      }
    }
    return out;
  }

  @Test
  void anImpressionIsReleasedAsSoonAsEveryTaskHasALabel() throws Exception {
    var h = harness();
    h.setProcessingTime(0);
    h.processElement1(new StreamRecord<>(impression("r1")));
    h.processElement2(new StreamRecord<>(new ValidLabel("r1", "m", "click", 1)));
    assertThat(outputs(h)).isEmpty();
    h.processElement2(new StreamRecord<>(new ValidLabel("r1", "m", "buy", 0)));
    assertThat(outputs(h))
        .singleElement()
        .satisfies(
            e -> assertThat(e.getLabels()).containsEntry("click", 1.0).containsEntry("buy", 0.0));
    h.setProcessingTime(1000); // the window's timer clears the key
    assertThat(h.numKeyedStateEntries()).isZero();
    assertThat(h.numProcessingTimeTimers()).isZero();
    h.close();
  }

  @Test
  void tasksWithoutALabelWhenTheWindowClosesCountAsNegatives() throws Exception {
    var h = harness();
    h.setProcessingTime(0);
    h.processElement2(
        new StreamRecord<>(new ValidLabel("r2", "m", "buy", 1))); // label before impression
    h.processElement1(new StreamRecord<>(impression("r2")));
    h.setProcessingTime(999);
    assertThat(outputs(h)).isEmpty();
    h.setProcessingTime(1000);
    assertThat(outputs(h))
        .singleElement()
        .satisfies(
            e -> assertThat(e.getLabels()).containsEntry("buy", 1.0).containsEntry("click", 0.0));
    assertThat(h.numKeyedStateEntries()).isZero();
    h.close();
  }

  @Test
  void anOpenWindowSurvivesASnapshotAndRestore() throws Exception {
    var h = harness();
    h.setProcessingTime(0);
    h.processElement1(new StreamRecord<>(impression("r3")));
    h.processElement2(new StreamRecord<>(new ValidLabel("r3", "m", "click", 1)));
    OperatorSubtaskState snapshot = h.snapshot(1, 10);
    h.close();

    var restored =
        new KeyedTwoInputStreamOperatorTestHarness<>(
            new KeyedCoProcessOperator<>(new LabelJoin(CONFIG)),
            (ValidEvent e) -> LabelJoin.key(e.modelId, e.requestId),
            (ValidLabel l) -> LabelJoin.key(l.modelId, l.requestId),
            Types.STRING);
    restored.setup();
    restored.initializeState(snapshot);
    restored.open();
    restored.setProcessingTime(0);
    restored.processElement2(new StreamRecord<>(new ValidLabel("r3", "m", "buy", 1)));
    assertThat(outputs(restored))
        .singleElement()
        .satisfies(
            e -> assertThat(e.getLabels()).containsEntry("click", 1.0).containsEntry("buy", 1.0));
    restored.close();
  }

  @Test
  void twoModelsSharingARequestIdNeverReceiveEachOthersLabels() throws Exception {
    var h = harness();
    h.setProcessingTime(0);
    h.processElement1(new StreamRecord<>(impression("m", "shared")));
    h.processElement1(new StreamRecord<>(impression("n", "shared")));
    h.processElement2(new StreamRecord<>(new ValidLabel("shared", "m", "click", 1)));
    h.processElement2(new StreamRecord<>(new ValidLabel("shared", "m", "buy", 1)));
    h.processElement2(new StreamRecord<>(new ValidLabel("shared", "n", "click", 0)));
    assertThat(outputs(h))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getModelId()).isEqualTo("m");
              assertThat(e.getLabels()).containsEntry("click", 1.0).containsEntry("buy", 1.0);
            });
    h.getOutput().clear();
    h.setProcessingTime(
        1000); // n's window closes: its missing "buy" counts as negative, its click stays 0
    assertThat(outputs(h))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getModelId()).isEqualTo("n");
              assertThat(e.getLabels()).containsEntry("click", 0.0).containsEntry("buy", 0.0);
            });
    h.close();
  }

  @Test
  void labelsWithoutAnImpressionAreDroppedWhenTheWindowCloses() throws Exception {
    var h = harness();
    h.setProcessingTime(0);
    h.processElement2(new StreamRecord<>(new ValidLabel("r4", "m", "click", 1)));
    h.setProcessingTime(1000);
    assertThat(outputs(h)).isEmpty();
    assertThat(h.numKeyedStateEntries()).isZero();
    h.close();
  }
}
