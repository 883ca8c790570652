package ai.hiformer.learner.join;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One request of {@link PendingExamples}: its impression (or the labels that came before it), a bit
 * per task for the labels received and their values, its deadline, and its form in the caller's
 * state.
 *
 * <p>Layout of {@link #encode}: flags (1 byte), deadline, due, labelled, positive (8 bytes each),
 * with {@link #LATE_POSITIVES} the late positives' times (8 bytes per task), then the impression's
 * bytes, or, without an impression, the labels' times (8 bytes per task).
 */
final class PendingEntry {
  static final byte HAS_IMPRESSION = 1;
  static final byte RELEASED = 2;

  /** In time order: every task has a label; released once time reaches {@code due}. */
  static final byte COMPLETE = 4;

  /** Positives later than the deadline came while the impression waited ({@code lateTimes}). */
  static final byte LATE_POSITIVES = 8;

  byte flags;
  long deadline;

  /** In time order: the last label's time so far, then when a complete entry is released. */
  long due = Long.MIN_VALUE;

  long labelled;
  long positive;
  byte[] impression;

  /** Labels that came before the impression: each task's label time, to judge it by then. */
  long[] labelTimes;

  /**
   * Per task, the time of a positive later than the deadline that came while the impression waited
   * (a replay reads the topics in any order), or {@code Long.MIN_VALUE}; null: none.
   */
  long[] lateTimes;

  /** Written to the caller's state at a checkpoint, so its release must delete it there. */
  boolean persisted;

  /** Keeps the earliest late positive of {@code task} (of {@code tasks}). */
  void keepLate(int task, long timeMillis, int tasks) {
    if (lateTimes == null) {
      lateTimes = new long[tasks];
      Arrays.fill(lateTimes, Long.MIN_VALUE);
      flags |= LATE_POSITIVES;
    }
    if (lateTimes[task] == Long.MIN_VALUE || timeMillis < lateTimes[task]) {
      lateTimes[task] = timeMillis;
    }
  }

  /**
   * The impression came after its labels, and its deadline is set: a label later than it is late
   * (as it would have been had it come after the impression), dropped, or kept as a late positive
   * with {@code keepLate}; in time order, {@code due} becomes the last label in time. Returns how
   * many were late.
   */
  int judgeEarlyLabels(boolean inTimeOrder, boolean keepLate, int tasks) {
    int late = 0;
    due = Long.MIN_VALUE;
    for (int t = 0; t < tasks; t++) {
      long bit = 1L << t;
      if ((labelled & bit) == 0) {
        continue;
      }
      if (labelTimes[t] > deadline) {
        if (keepLate && (positive & bit) != 0) {
          keepLate(t, labelTimes[t], tasks);
        }
        labelled &= ~bit;
        positive &= ~bit;
        late++;
      } else if (inTimeOrder) {
        due = Math.max(due, labelTimes[t]);
      }
    }
    labelTimes = null;
    return late;
  }

  /** The late positives' times, handed over at the release (null: none); the entry forgets them. */
  long[] takeLateTimes() {
    long[] late = lateTimes;
    lateTimes = null;
    flags &= ~LATE_POSITIVES;
    return late;
  }

  byte[] encode() {
    int n = impression != null ? impression.length : labelTimes != null ? 8 * labelTimes.length : 0;
    int late = lateTimes == null ? 0 : 8 * lateTimes.length;
    ByteBuffer b = ByteBuffer.allocate(1 + 8 * 4 + late + n);
    b.put(flags).putLong(deadline).putLong(due).putLong(labelled).putLong(positive);
    if (lateTimes != null) {
      for (long t : lateTimes) {
        b.putLong(t);
      }
    }
    if (impression != null) {
      b.put(impression);
    } else if (labelTimes != null) {
      for (long t : labelTimes) {
        b.putLong(t);
      }
    }
    return b.array();
  }

  /** The entry {@link #encode} wrote, marked persisted; {@code deadline} as it was written. */
  static PendingEntry decode(byte[] encoded, int tasks) {
    ByteBuffer b = ByteBuffer.wrap(encoded);
    PendingEntry e = new PendingEntry();
    e.flags = b.get();
    e.deadline = b.getLong();
    e.due = b.getLong();
    e.labelled = b.getLong();
    e.positive = b.getLong();
    if ((e.flags & LATE_POSITIVES) != 0) {
      e.lateTimes = new long[tasks];
      for (int t = 0; t < tasks; t++) {
        e.lateTimes[t] = b.getLong();
      }
    }
    if ((e.flags & HAS_IMPRESSION) != 0 && (e.flags & RELEASED) == 0) {
      e.impression = new byte[b.remaining()];
      b.get(e.impression);
    } else if ((e.flags & HAS_IMPRESSION) == 0 && b.remaining() >= 8L * tasks) {
      e.labelTimes = new long[tasks];
      for (int t = 0; t < tasks; t++) {
        e.labelTimes[t] = b.getLong();
      }
    }
    e.persisted = true;
    return e;
  }
}
