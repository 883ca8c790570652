package ai.hiformer.jobs.stream;

import static ai.hiformer.jobs.stream.LabelJoinTest.ATTRIBUTION;
import static ai.hiformer.jobs.stream.LabelJoinTest.config;
import static ai.hiformer.jobs.stream.LabelJoinTest.harness;
import static ai.hiformer.jobs.stream.LabelJoinTest.impression;
import static ai.hiformer.jobs.stream.LabelJoinTest.label;
import static ai.hiformer.jobs.stream.LabelJoinTest.outputs;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * {@code join.mode = window-fnw} with Flink's operator test harness: a positive after the window is
 * learned once more (its late task only), at most once per task, within the attribution window,
 * across a restore, and in event time whatever order the topics are read in.
 */
class LateLabelsJoinTest {
  private static final long WINDOW = 1600;

  private static KeyedTwoInputStreamOperatorTestHarness<String, ValidEvent, ValidLabel, ValidEvent>
      opened(String time, String mode) throws Exception {
    var h = harness(config(time, mode));
    h.open();
    return h;
  }

  private static void watermark(
      KeyedTwoInputStreamOperatorTestHarness<String, ValidEvent, ValidLabel, ValidEvent> h,
      long time)
      throws Exception {
    h.processWatermark1(new Watermark(time));
    h.processWatermark2(new Watermark(time));
  }

  @Test
  void aPositiveAfterTheWindowIsLearnedOnceMoreForItsTaskOnly() throws Exception {
    var h = opened("processing", "window-fnw");
    h.setProcessingTime(0);
    h.processElement1(impression("m", "r1", 0));
    h.processElement2(label("m", "r1", "buy", 0, 0));
    h.setProcessingTime(WINDOW); // click still open: learned as a negative, held
    assertThat(outputs(h))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.labels).containsEntry("click", 0.0).containsEntry("buy", 0.0);
              assertThat(e.latePositive).isFalse();
            });
    h.getOutput().clear();

    h.setProcessingTime(5 * WINDOW);
    h.processElement2(label("m", "r1", "click", 1, 0));
    h.processElement2(label("m", "r1", "click", 1, 0)); // the same positive again: decided
    h.processElement2(label("m", "r1", "buy", 1, 0)); // buy was labelled in the window: final
    assertThat(outputs(h))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.requestId).isEqualTo("r1");
              assertThat(e.latePositive).isTrue();
              assertThat(e.labels).containsExactly(Map.entry("click", 1.0));
              assertThat(LabelJoinTest.features(e).text("user")).isEqualTo("u-r1");
              assertThat(LabelJoinTest.features(e).list("tags")).containsExactly("a", "b");
            });
    h.close();
  }

  @Test
  void theWindowModeDropsALatePositive() throws Exception {
    var h = opened("processing", "window");
    h.setProcessingTime(0);
    h.processElement1(impression("m", "r2", 0));
    h.setProcessingTime(WINDOW);
    h.getOutput().clear();
    h.processElement2(label("m", "r2", "click", 1, 0));
    h.setProcessingTime(3 * WINDOW);
    assertThat(outputs(h)).isEmpty();
    h.snapshot(1, 1);
    assertThat(h.numKeyedStateEntries()).isZero(); // nothing held after the window
    h.close();
  }

  @Test
  void aPositiveAfterTheAttributionWindowIsNotLearnedAndHeldImpressionsExpire() throws Exception {
    var h = opened("event", "window-fnw");
    h.processElement1(impression("m", "r3", 0));
    h.processElement1(impression("m", "r4", 0));
    watermark(h, WINDOW);
    assertThat(outputs(h)).hasSize(2);
    h.getOutput().clear();
    h.processElement2(label("m", "r3", "click", 1, ATTRIBUTION + WINDOW)); // too late
    h.processElement2(label("m", "r4", "click", 1, ATTRIBUTION - 1)); // just in time
    watermark(h, ATTRIBUTION + WINDOW);
    assertThat(outputs(h))
        .singleElement()
        .satisfies(e -> assertThat(e.requestId + ":" + e.latePositive).isEqualTo("r4:true"));
    h.getOutput().clear();
    watermark(h, ATTRIBUTION + 3 * WINDOW); // past every deadline: nothing is held any more
    h.processElement2(label("m", "r3", "buy", 1, ATTRIBUTION + 3 * WINDOW));
    watermark(h, ATTRIBUTION + 5 * WINDOW);
    assertThat(outputs(h)).isEmpty();
    h.snapshot(1, 1);
    assertThat(h.numKeyedStateEntries()).as("only the queue's position").isEqualTo(1);
    h.close();
  }

  @Test
  void inEventTimeALatePositiveReadBeforeItsWindowClosedIsLearnedAsIfReadAfter() throws Exception {
    // A replay reads both topics at once: the label can come while the impression still waits.
    var early = opened("event", "window-fnw");
    early.processElement1(impression("m", "r5", 0));
    early.processElement2(label("m", "r5", "click", 1, 3 * WINDOW));
    watermark(early, 4 * WINDOW);

    var inOrder = opened("event", "window-fnw");
    inOrder.processElement1(impression("m", "r5", 0));
    watermark(inOrder, 2 * WINDOW);
    inOrder.processElement2(label("m", "r5", "click", 1, 3 * WINDOW));
    watermark(inOrder, 4 * WINDOW);

    for (var h : List.of(early, inOrder)) {
      assertThat(outputs(h))
          .extracting(e -> e.labels.get("click") + ":" + e.latePositive)
          .containsExactly("0.0:false", "1.0:true");
      h.close();
    }
  }

  @Test
  void aLatePositiveIsReleasedInTimeOrderEvenWhenTheWatermarkJumpsPastIt() throws Exception {
    var h = opened("event", "window-fnw");
    h.processElement1(impression("m", "a", 0)); // window to 1,600
    h.processElement1(impression("m", "b", 2000)); // window to 3,600
    h.processElement2(label("m", "a", "click", 1, 3000)); // late, read while a waits
    watermark(h, 4000); // one jump past all three
    assertThat(outputs(h))
        .extracting(e -> e.requestId + ":" + e.labels.get("click"))
        .containsExactly("a:0.0", "a:1.0", "b:0.0");
    h.close();
  }

  @Test
  void theEndOfABoundedInputStillLearnsTheLatePositivesItRead() throws Exception {
    // A backfill ends with the largest watermark: windows close at Long.MAX_VALUE.
    var h = opened("event", "window-fnw");
    h.processElement1(impression("m", "r8", 0));
    h.processElement2(label("m", "r8", "click", 1, 2 * WINDOW));
    watermark(h, Long.MAX_VALUE);
    assertThat(outputs(h))
        .extracting(e -> e.labels.get("click") + ":" + e.latePositive)
        .containsExactly("0.0:false", "1.0:true");
    h.close();
  }

  @Test
  void heldImpressionsRestoredFromACheckpointExpireWhenTheirTimeComes() throws Exception {
    var h = opened("event", "window-fnw");
    for (int i = 0; i < 5; i++) {
      h.processElement1(impression("m", "h" + i, 100L * i));
    }
    watermark(h, 2 * WINDOW);
    OperatorSubtaskState snapshot = h.snapshot(1, 10);
    h.close();

    var restored = harness(config("event", "window-fnw"));
    restored.initializeState(snapshot);
    restored.open();
    restored.processElement1(impression("m", "later", ATTRIBUTION * 3)); // years on
    watermark(restored, ATTRIBUTION * 3);
    restored.processElement2(label("m", "h1", "click", 1, ATTRIBUTION * 3));
    watermark(restored, ATTRIBUTION * 3 + 2 * WINDOW);
    assertThat(outputs(restored))
        .extracting(e -> e.requestId + ":" + e.latePositive)
        .containsExactly("later:false");
    restored.snapshot(2, 20);
    // What is left: the queue's position and "later", held since its window closed.
    assertThat(restored.numKeyedStateEntries()).isEqualTo(3);
    restored.close();
  }

  @Test
  void aRestoreKeepsHeldImpressionsAndScheduledLatePositivesAndLearnsEachOnce() throws Exception {
    var h = opened("event", "window-fnw");
    h.processElement1(impression("m", "r6", 0));
    h.processElement1(impression("m", "r7", 0));
    watermark(h, WINDOW);
    h.processElement2(label("m", "r7", "click", 1, 2 * WINDOW)); // scheduled, not yet released
    OperatorSubtaskState snapshot = h.snapshot(1, 10);
    h.close();

    var restored = harness(config("event", "window-fnw"));
    restored.initializeState(snapshot);
    restored.open();
    restored.processElement2(label("m", "r6", "click", 1, 2 * WINDOW));
    watermark(restored, 3 * WINDOW);
    assertThat(outputs(restored))
        .extracting(e -> e.requestId + ":" + e.labels + ":" + e.latePositive)
        .containsExactly("r6:{click=1.0}:true", "r7:{click=1.0}:true");
    restored.processElement2(label("m", "r6", "click", 1, 3 * WINDOW)); // decided already
    watermark(restored, 5 * WINDOW);
    assertThat(outputs(restored)).hasSize(2);
    restored.close();
  }
}
