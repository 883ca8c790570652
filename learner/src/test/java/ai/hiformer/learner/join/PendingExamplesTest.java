package ai.hiformer.learner.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PendingExamplesTest {
  record Released(
      String requestId, String impression, long labelled, long positive, boolean closed) {}

  private final List<Released> released = new ArrayList<>();
  private final ReleaseSink sink =
      (id, bytes, labelled, positive, closed, late) ->
          released.add(
              new Released(
                  id,
                  new String(bytes, java.nio.charset.StandardCharsets.UTF_8),
                  labelled,
                  positive,
                  closed));

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void anImpressionIsReleasedAsSoonAsEveryTaskHasALabel() {
    PendingExamples p = new PendingExamples(1000, 100, 2, false, false);
    p.impression("r1", 0, bytes("imp1"), sink);
    p.label("r1", 0, true, 10, sink);
    assertThat(released).isEmpty();
    p.label("r1", 1, false, 20, sink);
    assertThat(released).containsExactly(new Released("r1", "imp1", 0b11, 0b01, false));
    assertThat(p.counts().joined).isEqualTo(1);
    assertThat(p.counts().windowClosed).isZero();
    assertThat(p.impressionBytes()).isZero();
  }

  @Test
  void whenTheWindowClosesTasksWithoutALabelCountAsNegatives() {
    PendingExamples p = new PendingExamples(1000, 100, 2, false, false);
    p.impression("r1", 0, bytes("imp1"), sink);
    p.label("r1", 1, true, 500, sink);
    p.advanceTo(999, sink);
    assertThat(released).isEmpty();
    p.advanceTo(1000, sink);
    assertThat(released).containsExactly(new Released("r1", "imp1", 0b10, 0b10, true));
    assertThat(p.size()).isZero();
    assertThat(p.counts().windowClosed).isEqualTo(1);
  }

  @Test
  void labelsThatComeFirstWaitForTheirImpression() {
    PendingExamples p = new PendingExamples(1000, 100, 1, false, false);
    p.label("r1", 0, true, 0, sink);
    assertThat(released).isEmpty();
    p.impression("r1", 50, bytes("imp1"), sink);
    assertThat(released).containsExactly(new Released("r1", "imp1", 1, 1, false));
  }

  @Test
  void aReleasedRequestIgnoresLateLabelsAndRepeatedImpressionsUntilItsDeadline() {
    PendingExamples p = new PendingExamples(1000, 100, 1, false, false);
    p.impression("r1", 0, bytes("imp1"), sink);
    p.label("r1", 0, false, 10, sink);
    p.label("r1", 0, true, 20, sink);
    p.impression("r1", 30, bytes("again"), sink);
    assertThat(released).hasSize(1);
    assertThat(p.counts().lateLabels).isEqualTo(1);
    assertThat(p.counts().duplicateImpressions).isEqualTo(1);
    assertThat(p.size()).isEqualTo(1); // the marker
    p.advanceTo(1000, sink);
    assertThat(p.size()).isZero();
    assertThat(released).hasSize(1);
  }

  @Test
  void aLabelAfterItsImpressionsDeadlineIsLateEvenIfTheEntryIsStillThere() {
    PendingExamples p = new PendingExamples(1000, 100, 1, false, false);
    p.impression("r1", 0, bytes("imp1"), sink);
    p.label("r1", 0, true, 1500, sink); // arrives before time reached 1000
    assertThat(p.counts().lateLabels).isEqualTo(1);
    p.advanceTo(1000, sink);
    assertThat(released).containsExactly(new Released("r1", "imp1", 0, 0, true));
  }

  @Test
  void labelsWithoutAnImpressionAreDroppedAtTheirDeadline() {
    // With one clock (the default impressions' clock), in either release order.
    PendingExamples inTimeOrder = new PendingExamples(1000, 100, 1, true, false);
    inTimeOrder.label("r1", 0, true, 500, sink);
    inTimeOrder.advanceTo(1_500, sink);
    assertThat(inTimeOrder.counts().orphanLabels).isEqualTo(1);
    assertThat(inTimeOrder.size()).isZero();
    PendingExamples p = new PendingExamples(1000, 100, 1, false, false);
    p.label("r9", 0, true, 0, sink);
    p.advanceTo(1000, sink);
    assertThat(released).isEmpty();
    assertThat(p.counts().orphanLabels).isEqualTo(1);
    assertThat(p.size()).isZero();
  }

  @Test
  void deadlinesAreRoundedUpToTheirBucketSoThatOneTimerServesManyRequests() {
    PendingExamples p = new PendingExamples(1000, 100, 1, false, false);
    p.impression("a", 1, bytes("a"), sink);
    p.impression("b", 99, bytes("b"), sink);
    p.impression("c", 101, bytes("c"), sink);
    assertThat(p.nextBucketEnd()).isEqualTo(1100);
    p.advanceTo(1100, sink);
    assertThat(released).extracting(Released::requestId).containsExactly("a", "b");
    assertThat(p.nextBucketEnd()).isEqualTo(1200);
    assertThat(PendingExamples.bucketFor(2_303)).isEqualTo(143);
    assertThat(PendingExamples.bucketFor(60_000)).isEqualTo(1000);
    assertThat(PendingExamples.bucketFor(50)).isEqualTo(10);
  }

  @Test
  void anEntryAddedAndReleasedBetweenTwoCheckpointsNeverReachesTheState() {
    PendingExamples p = new PendingExamples(1000, 100, 1, false, false);
    p.impression("r1", 0, bytes("imp1"), sink);
    p.label("r1", 0, true, 10, sink);
    p.advanceTo(1000, sink);
    assertThat(p.drainChanges()).isEmpty();
  }

  @Test
  void aPersistedEntryIsDeletedFromTheStateOnceItIsGone() {
    PendingExamples p = new PendingExamples(1000, 100, 1, false, false);
    p.impression("r1", 0, bytes("imp1"), sink);
    assertThat(p.drainChanges())
        .extracting(PendingExamples.Change::requestId)
        .containsExactly("r1");
    p.advanceTo(1000, sink);
    List<PendingExamples.Change> changes = p.drainChanges();
    assertThat(changes).containsExactly(new PendingExamples.Change("r1", null));
    assertThat(p.hasChanges()).isFalse();
  }

  @Test
  void aRestoredStoreReleasesWhatTheOriginalWould() {
    PendingExamples original = new PendingExamples(1000, 100, 2, false, false);
    original.impression("r1", 0, bytes("imp1"), sink);
    original.label("r1", 0, true, 10, sink);
    original.impression("r2", 20, bytes("imp2"), sink);
    original.label("r2", 0, true, 30, sink);
    original.label("r2", 1, true, 40, sink); // released: a marker remains
    original.label("r3", 1, true, 50, sink); // its impression has not come yet
    PendingExamples restored = new PendingExamples(1000, 100, 2, false, false);
    for (PendingExamples.Change c : original.drainChanges()) {
      restored.restore(c.requestId(), c.entry());
    }
    released.clear();
    restored.label("r1", 1, false, 60, sink);
    restored.label("r2", 0, true, 70, sink);
    restored.impression("r3", 80, bytes("imp3"), sink);
    restored.label("r3", 0, false, 90, sink);
    assertThat(released)
        .containsExactly(
            new Released("r1", "imp1", 0b11, 0b01, false),
            new Released("r3", "imp3", 0b11, 0b10, false));
    assertThat(restored.counts().lateLabels).isEqualTo(1);
    restored.advanceTo(2000, sink);
    assertThat(restored.size()).isZero();
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> new PendingExamples(0, 10, 1, false, false))
        .hasMessageContaining("join window");
    assertThatThrownBy(() -> new PendingExamples(10, 0, 1, false, false))
        .hasMessageContaining("time bucket");
    assertThatThrownBy(() -> new PendingExamples(10, 10, 65, false, false))
        .hasMessageContaining("64 tasks");
  }

  @Test
  void aLabelWaitsUntilTheImpressionsOwnTimePassesItsDeadlineNotTheLabelsTime() {
    PendingExamples p = new PendingExamples(1000, 100, 1, true, false);
    p.impressionsClock(Long.MIN_VALUE); // the impressions' input has said nothing yet (idle)
    p.label("r1", 0, true, 500, sink);
    p.label("r2", 0, true, 600, sink);
    p.advanceTo(5_000, sink); // the labels' time, far past both deadlines (1,500 and 1,600)
    assertThat(p.counts().orphanLabels).as("held: their impressions may be unread").isZero();
    assertThat(p.size()).isEqualTo(2);

    p.impressionsClock(1_550); // the impressions catch up to r1's deadline, not r2's
    p.impression("r1", 400, bytes("imp1"), sink);
    p.advanceTo(5_100, sink);
    assertThat(released).containsExactly(new Released("r1", "imp1", 1, 1, false));
    assertThat(p.counts().orphanLabels).isZero();

    p.impressionsClock(1_700); // past r2's deadline, and r2's impression never came
    p.advanceTo(5_200, sink);
    assertThat(p.counts().orphanLabels).isEqualTo(1);
    assertThat(released).hasSize(1);
  }

  @Test
  void aHeldLabelSurvivesARestoreAndStillWaitsForItsImpression() {
    PendingExamples p = new PendingExamples(1000, 100, 1, true, false);
    p.impressionsClock(Long.MIN_VALUE);
    p.label("r1", 0, true, 500, sink);
    p.advanceTo(5_000, sink); // held
    PendingExamples restored = new PendingExamples(1000, 100, 1, true, false);
    for (PendingExamples.Change c : p.drainChanges()) {
      restored.restore(c.requestId(), c.entry());
    }
    restored.impressionsClock(Long.MIN_VALUE); // a restored job's watermarks start anew
    restored.advanceTo(6_000, sink);
    assertThat(restored.counts().orphanLabels).isZero();
    restored.impression("r1", 400, bytes("imp1"), sink);
    restored.impressionsClock(6_000);
    restored.advanceTo(6_100, sink);
    assertThat(released).containsExactly(new Released("r1", "imp1", 1, 1, false));
  }

  @Test
  void inTimeOrderACompleteExampleWaitsForTimeToPassItsLastLabel() {
    PendingExamples p = new PendingExamples(1000, 100, 1, true, false);
    p.impression("r1", 0, bytes("imp1"), sink);
    p.label("r1", 0, true, 250, sink);
    assertThat(released).isEmpty();
    p.advanceTo(299, sink);
    assertThat(released).isEmpty();
    p.advanceTo(300, sink);
    assertThat(released).containsExactly(new Released("r1", "imp1", 1, 1, false));
    p.label("r1", 0, false, 400, sink); // late: the marker stays until the deadline
    assertThat(p.counts().lateLabels).isEqualTo(1);
    p.advanceTo(1000, sink);
    assertThat(p.size()).isZero();
  }

  @Test
  void inTimeOrderTheOutputDoesNotDependOnHowTheInputsInterleave() {
    // The same impressions and labels, fed in two interleavings, advanced in different steps.
    List<Released> first = new ArrayList<>();
    PendingExamples a = new PendingExamples(1000, 100, 1, true, false);
    ReleaseSink toFirst =
        (id, b, l, p, c, late) ->
            first.add(
                new Released(id, new String(b, java.nio.charset.StandardCharsets.UTF_8), l, p, c));
    for (int i = 0; i < 50; i++) {
      a.impression("r" + i, i * 40L, bytes("i" + i), toFirst);
      if (i % 3 == 0) {
        a.label("r" + i, 0, true, i * 40L + 500, toFirst);
      }
    }
    a.advanceTo(100_000, toFirst);
    List<Released> second = new ArrayList<>();
    PendingExamples b = new PendingExamples(1000, 100, 1, true, false);
    ReleaseSink toSecond =
        (id, x, l, p, c, late) ->
            second.add(
                new Released(id, new String(x, java.nio.charset.StandardCharsets.UTF_8), l, p, c));
    for (int i = 49; i >= 0; i--) {
      if (i % 3 == 0) {
        b.label("r" + i, 0, true, i * 40L + 500, toSecond); // every label before its impression
      }
    }
    for (int i = 0; i < 50; i++) {
      b.impression("r" + i, i * 40L, bytes("i" + i), toSecond);
      b.advanceTo(i * 40L, toSecond);
    }
    for (long t = 2000; t <= 100_000; t += 700) {
      b.advanceTo(t, toSecond);
    }
    assertThat(second).isEqualTo(first);
    assertThat(first).hasSize(50);
  }

  @Test
  void inTimeOrderARestoredCompleteExampleIsStillReleasedOnTime() {
    PendingExamples p = new PendingExamples(1000, 100, 1, true, false);
    p.impression("r1", 0, bytes("imp1"), sink);
    p.label("r1", 0, true, 250, sink);
    PendingExamples restored = new PendingExamples(1000, 100, 1, true, false);
    for (PendingExamples.Change c : p.drainChanges()) {
      restored.restore(c.requestId(), c.entry());
    }
    restored.advanceTo(300, sink);
    assertThat(released).containsExactly(new Released("r1", "imp1", 1, 1, false));
  }

  @Test
  void aLabelThatCameBeforeItsImpressionButAfterItsWindowIsLateAsIfItHadComeAfter() {
    PendingExamples p = new PendingExamples(1000, 100, 2, false, false);
    p.label("r1", 0, true, 1500, sink); // after the window of an impression at 0
    p.label("r1", 1, true, 500, sink);
    p.impression("r1", 0, bytes("imp1"), sink);
    assertThat(p.counts().lateLabels).isEqualTo(1);
    assertThat(released).isEmpty(); // task 0 still without a label
    p.advanceTo(1000, sink);
    assertThat(released).containsExactly(new Released("r1", "imp1", 0b10, 0b10, true));
  }

  @Test
  void labelsWaitingForTheirImpressionSurviveARestoreWithTheirTimes() {
    PendingExamples p = new PendingExamples(1000, 100, 1, true, false);
    p.label("r1", 0, true, 1500, sink);
    PendingExamples restored = new PendingExamples(1000, 100, 1, true, false);
    for (PendingExamples.Change c : p.drainChanges()) {
      restored.restore(c.requestId(), c.entry());
    }
    restored.impression("r1", 0, bytes("imp1"), sink);
    assertThat(restored.counts().lateLabels).isEqualTo(1);
    restored.advanceTo(1000, sink);
    assertThat(released).containsExactly(new Released("r1", "imp1", 0, 0, true));
  }
}
