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
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The label join with Flink's operator test harness: outputs, state entries and timers, a restore,
 * and both kinds of time.
 */
class LabelJoinTest {
  private static final String SPEC =
      """
      {"format": "jsonl", "tasks": [{"name": "click"}, {"name": "buy"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "price", "kind": "numeric"},
                  {"name": "tags", "kind": "multi"}]}""";

  /** 1,600 ms: time buckets of 100 ms, so deadlines fall on round numbers. */
  private static final long WINDOW = 1600;

  /** 100 windows: held impressions expire at 160,000 ms (window-fnw, the default mode). */
  static final long ATTRIBUTION = 100 * WINDOW;

  private static JobConfig config(String time) {
    return config(time, "window-fnw");
  }

  static JobConfig config(String time, String mode) {
    return JobConfig.builder()
        .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
        .set(JobConfig.MODEL_IDS, Set.of("m", "n"))
        .set(LearnerOptions.FEATURE_SPEC, SPEC)
        .modelConfig(ModelConfig.builder(ModelKind.LR).build())
        .set(JobConfig.LABEL_WINDOW_MS, WINDOW)
        .set(JobConfig.JOIN_TIME, time)
        .set(JobConfig.JOIN_MODE, mode)
        .set(JobConfig.JOIN_ATTRIBUTION_WINDOW_MS, ATTRIBUTION)
        .build();
  }

  private static KeyedTwoInputStreamOperatorTestHarness<String, ValidEvent, ValidLabel, ValidEvent>
      harness(String time) throws Exception {
    return harness(config(time));
  }

  static KeyedTwoInputStreamOperatorTestHarness<String, ValidEvent, ValidLabel, ValidEvent> harness(
      JobConfig config) throws Exception {
    var h =
        new KeyedTwoInputStreamOperatorTestHarness<>(
            new LabelJoinOperator(new LabelJoin(config)),
            (ValidEvent e) -> e.modelId,
            (ValidLabel l) -> l.modelId,
            Types.STRING);
    h.setup();
    return h;
  }

  private static KeyedTwoInputStreamOperatorTestHarness<String, ValidEvent, ValidLabel, ValidEvent>
      opened(String time) throws Exception {
    var h = harness(time);
    h.open();
    return h;
  }

  static StreamRecord<ValidEvent> impression(String model, String id, long time) {
    return new StreamRecord<>(
        ValidEvent.of(
            Event.newBuilder()
                .setRequestId(id)
                .setModelId(model)
                .setEventTime(Instant.ofEpochMilli(time))
                .setCategorical(Map.of("user", "u-" + id, "unread", "x"))
                .setNumeric(Map.of("price", 2.5))
                .setMulti(Map.of("tags", List.of("a", "b")))
                .build()),
        time);
  }

  static StreamRecord<ValidLabel> label(
      String model, String id, String task, double value, long time) {
    return new StreamRecord<>(new ValidLabel(id, model, task, value, time), time);
  }

  /** A released example's columns, as the learner reads them. */
  static ImpressionRow features(ValidEvent e) {
    return new ImpressionRow(
            ImpressionCodec.columnsOf(ai.hiformer.features.spec.FeatureSpec.parse(SPEC)))
        .reset(e.impression, e.requestId);
  }

  static List<ValidEvent> outputs(
      KeyedTwoInputStreamOperatorTestHarness<String, ValidEvent, ValidLabel, ValidEvent> h) {
    List<ValidEvent> out = new ArrayList<>();
    for (Object o : h.getOutput()) {
      if (o instanceof StreamRecord<?> r) {
        ValidEvent v = (ValidEvent) r.getValue();
        assertThat(v.trainOnly).isTrue();
        assertThat(v.labelled).isTrue();
        out.add(v);
      }
    }
    return out;
  }

  @Test
  void anImpressionIsReleasedWithItsFeaturesAsSoonAsEveryTaskHasALabel() throws Exception {
    var h = opened("processing");
    h.setProcessingTime(0);
    h.processElement1(impression("m", "r1", 123));
    h.processElement2(label("m", "r1", "click", 1, 5));
    assertThat(outputs(h)).isEmpty();
    h.processElement2(label("m", "r1", "buy", 0, 6));
    ValidEvent e = outputs(h).get(0);
    assertThat(outputs(h)).hasSize(1);
    assertThat(e.labels).containsEntry("click", 1.0).containsEntry("buy", 0.0);
    assertThat(e.requestId).isEqualTo("r1");
    assertThat(e.modelId).isEqualTo("m");
    assertThat(e.eventTimeMillis).isEqualTo(123);
    // What learning reads comes back, as the join's bytes rather than maps; a column the spec
    // does not read is not kept.
    assertThat(e.categorical).isNull();
    ImpressionRow row = features(e);
    assertThat(row.text("user")).isEqualTo("u-r1");
    assertThat(row.hasNumber("price")).isTrue();
    assertThat(row.number("price")).isEqualTo(2.5);
    assertThat(row.list("tags")).containsExactly("a", "b");
    assertThat(row.text("eventTime")).isEqualTo("0"); // 123 ms, in epoch seconds
    assertThat(row.text("unread")).isNull();
    h.setProcessingTime(WINDOW);
    h.snapshot(1, 1);
    assertThat(h.numKeyedStateEntries()).isZero(); // released and expired before any checkpoint
    h.close();
  }

  @Test
  void tasksWithoutALabelWhenTheWindowClosesCountAsNegatives() throws Exception {
    var h = opened("processing");
    h.setProcessingTime(0);
    h.processElement2(label("m", "r2", "buy", 1, 0)); // the label before its impression
    h.processElement1(impression("m", "r2", 0));
    h.setProcessingTime(WINDOW - 1);
    assertThat(outputs(h)).isEmpty();
    h.setProcessingTime(WINDOW);
    assertThat(outputs(h))
        .singleElement()
        .satisfies(e -> assertThat(e.labels).containsEntry("buy", 1.0).containsEntry("click", 0.0));
    h.close();
  }

  @Test
  void oneTimerServesEveryImpressionOfAModelInATimeBucket() throws Exception {
    var h = opened("processing");
    h.setProcessingTime(0);
    for (int i = 0; i < 1000; i++) {
      h.processElement1(impression("m", "r" + i, 0));
    }
    assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
    h.setProcessingTime(WINDOW);
    assertThat(outputs(h)).hasSize(1000);
    // Held for late positives (window-fnw): one timer for their expiry, too.
    assertThat(h.numProcessingTimeTimers()).isEqualTo(1);
    h.setProcessingTime(ATTRIBUTION + WINDOW);
    assertThat(h.numProcessingTimeTimers()).isZero();
    h.snapshot(1, 1);
    assertThat(h.numKeyedStateEntries()).as("only the queue's position").isEqualTo(1);
    h.close();
  }

  @Test
  void aCheckpointHoldsTheWaitingImpressionsAndARestoreContinuesThem() throws Exception {
    var h = opened("processing");
    h.setProcessingTime(0);
    h.processElement1(impression("m", "r3", 0));
    h.processElement2(label("m", "r3", "click", 1, 0));
    h.processElement1(impression("m", "r4", 0));
    h.processElement2(label("m", "r4", "click", 0, 0));
    h.processElement2(label("m", "r4", "buy", 0, 0)); // r4 released: a marker is all that stays
    OperatorSubtaskState snapshot = h.snapshot(1, 10);
    assertThat(h.numKeyedStateEntries()).isEqualTo(1); // model m's map: r3 waiting, r4's marker
    h.close();

    var restored = harness("processing");
    restored.initializeState(snapshot);
    restored.open();
    restored.setProcessingTime(10);
    restored.processElement2(label("m", "r3", "buy", 1, 10));
    restored.processElement2(label("m", "r4", "buy", 1, 10)); // late: r4 was released already
    assertThat(outputs(restored))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.requestId).isEqualTo("r3");
              assertThat(e.labels).containsEntry("click", 1.0).containsEntry("buy", 1.0);
              assertThat(features(e).text("user")).isEqualTo("u-r3");
            });
    restored.setProcessingTime(WINDOW); // the restored timer closes r4's marker
    restored.snapshot(2, 20);
    assertThat(restored.numKeyedStateEntries()).isZero();
    restored.close();
  }

  @Test
  void twoModelsSharingARequestIdNeverReceiveEachOthersLabels() throws Exception {
    var h = opened("processing");
    h.setProcessingTime(0);
    h.processElement1(impression("m", "shared", 0));
    h.processElement1(impression("n", "shared", 0));
    h.processElement2(label("m", "shared", "click", 1, 0));
    h.processElement2(label("m", "shared", "buy", 1, 0));
    h.processElement2(label("n", "shared", "click", 0, 0));
    assertThat(outputs(h)).singleElement().satisfies(e -> assertThat(e.modelId).isEqualTo("m"));
    h.getOutput().clear();
    h.setProcessingTime(WINDOW);
    assertThat(outputs(h))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.modelId).isEqualTo("n");
              assertThat(e.labels).containsEntry("click", 0.0).containsEntry("buy", 0.0);
            });
    h.close();
  }

  @Test
  void labelsWithoutAnImpressionAreDroppedWhenTheWindowCloses() throws Exception {
    var h = opened("processing");
    h.setProcessingTime(0);
    h.processElement2(label("m", "r5", "click", 1, 0));
    h.setProcessingTime(WINDOW);
    assertThat(outputs(h)).isEmpty();
    h.snapshot(1, 1);
    assertThat(h.numKeyedStateEntries()).isZero();
    h.close();
  }

  @Test
  void inEventTimeWindowsCloseByTheWatermarksOfBothInputsNotByTheWallClock() throws Exception {
    var h = opened("event");
    h.setProcessingTime(0);
    h.processElement1(impression("m", "r6", 1_000_000));
    h.setProcessingTime(10 * WINDOW);
    assertThat(outputs(h)).isEmpty();
    h.processWatermark1(new Watermark(1_000_000 + WINDOW));
    assertThat(outputs(h)).isEmpty(); // the labels' watermark still holds the window open
    h.processWatermark2(new Watermark(1_000_000 + WINDOW));
    assertThat(outputs(h))
        .singleElement()
        .satisfies(e -> assertThat(e.labels).containsEntry("click", 0.0).containsEntry("buy", 0.0));
    h.close();
  }

  @Test
  void inEventTimeALabelCountsOnlyIfItsTimeIsWithinTheImpressionsWindow() throws Exception {
    var h = opened("event");
    h.processElement1(impression("m", "in", 0));
    h.processElement1(impression("m", "out", 0));
    h.processElement2(label("m", "in", "click", 1, WINDOW - 100));
    h.processElement2(label("m", "out", "click", 1, WINDOW + 100)); // arrived early, happened late
    h.processWatermark1(new Watermark(WINDOW));
    h.processWatermark2(new Watermark(WINDOW));
    assertThat(outputs(h))
        .extracting(e -> e.requestId + ":" + e.labels.get("click"))
        .containsExactlyInAnyOrder("in:1.0", "out:0.0");
    h.close();
  }

  @Test
  void inEventTimeACompleteExampleIsReleasedOnceTheWatermarkPassesItsLastLabel() throws Exception {
    var h = opened("event");
    h.processElement1(impression("m", "r7", 0));
    h.processElement2(label("m", "r7", "click", 1, 300));
    h.processElement2(label("m", "r7", "buy", 0, 400));
    assertThat(outputs(h)).isEmpty();
    h.processWatermark1(new Watermark(400));
    h.processWatermark2(new Watermark(400));
    assertThat(outputs(h))
        .singleElement()
        .satisfies(e -> assertThat(e.labels).containsEntry("click", 1.0).containsEntry("buy", 0.0));
    h.close();
  }

  @Test
  void inEventTimeALabelWaitsForItsImpressionWhileTheImpressionsInputIsIdle() throws Exception {
    var h = opened("event");
    // The impressions' readers say nothing (blocked at a start): their input is idle, and the
    // labels' watermark alone moves the join's time far past the labels' window.
    h.processWatermarkStatus1(WatermarkStatus.IDLE);
    h.processElement2(label("m", "r8", "click", 1, 1_000));
    h.processElement2(label("m", "r8", "buy", 0, 1_000));
    h.processElement2(label("m", "r9", "click", 1, 1_000)); // an impression that never comes
    h.processWatermark2(new Watermark(1_000 + 10 * WINDOW));
    assertThat(outputs(h)).isEmpty();

    h.processWatermarkStatus1(WatermarkStatus.ACTIVE);
    h.processElement1(impression("m", "r8", 900));
    h.processWatermark1(new Watermark(1_000 + 11 * WINDOW));
    h.processWatermark2(new Watermark(1_000 + 11 * WINDOW));
    assertThat(outputs(h))
        .as("the label waited for its impression")
        .singleElement()
        .satisfies(e -> assertThat(e.labels).containsEntry("click", 1.0).containsEntry("buy", 0.0));
    h.snapshot(1, 1);
    assertThat(h.numKeyedStateEntries())
        .as("r9's label dropped once impressions passed it")
        .isZero();
    h.close();
  }
}
