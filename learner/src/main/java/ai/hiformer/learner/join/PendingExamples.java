package ai.hiformer.learner.join;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The impressions of one model that wait for their labels, and the labels that wait for their
 * impression: the state of the label join for one model id, in memory, Flink-free.
 *
 * <p>An entry is keyed by request id. It holds the impression as opaque bytes (whatever the caller
 * encodes: only what learning needs), a bit per task for the labels received and a bit for their
 * values, and a deadline. It is released as a labelled example as soon as every task has a label,
 * or when time passes its deadline, tasks still without a label then counting as negatives. A
 * released request leaves a small marker until its deadline, so that a late label or a repeated
 * impression of it is recognised and ignored (the first impression counts). Labels with no
 * impression by their deadline ({@link #impressionsClock}) are dropped and counted.
 *
 * <p>Time is the caller's: event time (watermarks) or processing time; {@link #advanceTo} expires
 * what is due. Deadlines are rounded up to the end of a time bucket, so that expiry costs one timer
 * per bucket, not one per request: {@link #nextBucketEnd} says when the next one ends.
 *
 * <p>In time order ({@code releaseInTimeOrder}, for event time): an example whose labels are all in
 * is not released at once but when time reaches its last label's time, and every release happens in
 * {@link #advanceTo}, in order of that time (then of request id). The examples then come out in the
 * same order however fast the stream is replayed and however its topics interleave, so a backfill
 * learns exactly as the live stream did; the price is that a labelled example waits for time (the
 * watermark) to pass its last label.
 *
 * <p>Durability: the caller writes the entries changed since the previous checkpoint ({@link
 * #drainChanges}) to its keyed state, and rebuilds a store from them after a restore ({@link
 * #restore}). An entry added and released between two checkpoints never reaches the state.
 *
 * <p>Tasks are numbered 0..63 in the order of the model's task list. Not thread-safe.
 */
public final class PendingExamples {
  /** A change since the previous checkpoint: the entry to write, or null to delete it. */
  public record Change(String requestId, byte[] entry) {}

  private static final byte HAS_IMPRESSION = PendingEntry.HAS_IMPRESSION;
  private static final byte RELEASED = PendingEntry.RELEASED;
  private static final byte COMPLETE = PendingEntry.COMPLETE;

  private final long windowMillis;
  private final boolean inTimeOrder;
  private final boolean latePositivesLearned;
  private final long allTasks;
  private final int tasks;
  private final Map<String, PendingEntry> entries = new HashMap<>();
  private final TimeBuckets buckets;
  private final StateChanges changed = new StateChanges();
  private final JoinCounts counts = new JoinCounts();
  private long impressionBytes;
  private long impressionsClock = Long.MAX_VALUE;

  /**
   * @param windowMillis how long an impression waits for its labels
   * @param bucketMillis deadlines are rounded up to a multiple of this (at least 1)
   * @param tasks the model's number of tasks (1..64)
   * @param releaseInTimeOrder release only in {@link #advanceTo}, in order of time (see above)
   * @param latePositivesLearned a positive later than the deadline that comes while its impression
   *     waits (a replay reads the topics in any order) is learned again when the window closes, as
   *     an example of its own ({@link LatePositiveKeys}) due at its time; otherwise it is dropped
   */
  public PendingExamples(
      long windowMillis,
      long bucketMillis,
      int tasks,
      boolean releaseInTimeOrder,
      boolean latePositivesLearned) {
    if (windowMillis < 1) {
      throw new IllegalArgumentException("join window must be >= 1 ms, got " + windowMillis);
    }
    if (tasks < 1 || tasks > 64) {
      throw new IllegalArgumentException("a model has 1 to 64 tasks, got " + tasks);
    }
    this.windowMillis = windowMillis;
    this.buckets = new TimeBuckets(bucketMillis);
    this.inTimeOrder = releaseInTimeOrder;
    this.latePositivesLearned = latePositivesLearned;
    this.allTasks = tasks == 64 ? -1L : (1L << tasks) - 1;
    this.tasks = tasks;
  }

  /** A bucket length that keeps expiry close to the window: a 16th of it, 10 ms to 1 s. */
  public static long bucketFor(long windowMillis) {
    return Math.max(10, Math.min(1000, windowMillis / 16));
  }

  /**
   * An impression at {@code timeMillis} (its event time, or its arrival in processing time). If its
   * labels are all here already it is released at once. {@code bytes} is kept, not copied.
   */
  public void impression(String requestId, long timeMillis, byte[] bytes, ReleaseSink sink) {
    PendingEntry e = entries.get(requestId);
    if (e == null) {
      e = new PendingEntry();
      entries.put(requestId, e);
      setDeadline(requestId, e, timeMillis + windowMillis);
    } else if ((e.flags & (HAS_IMPRESSION | RELEASED)) != 0) {
      counts.duplicateImpressions++;
      return;
    } else {
      // Its labels came first. The window runs from the impression: labels after it are late, as
      // they would have been had they come after the impression (the result must not depend on
      // which topic was read first).
      setDeadline(requestId, e, timeMillis + windowMillis);
      counts.lateLabels += e.judgeEarlyLabels(inTimeOrder, latePositivesLearned, tasks);
    }
    e.flags |= HAS_IMPRESSION;
    e.impression = bytes;
    impressionBytes += bytes.length;
    changed.touched(requestId);
    if (e.labelled == allTasks) {
      complete(requestId, e, Math.max(timeMillis, e.due), sink);
    }
  }

  /**
   * A label for task {@code task} of a request, at {@code timeMillis}. A label after its
   * impression's deadline, or for a request already released, is ignored (counted as late).
   */
  public void label(String requestId, int task, boolean value, long timeMillis, ReleaseSink sink) {
    PendingEntry e = entries.get(requestId);
    if (e == null) {
      e = new PendingEntry();
      entries.put(requestId, e);
      setDeadline(requestId, e, timeMillis + windowMillis);
    } else if ((e.flags & RELEASED) != 0) {
      counts.lateLabels++;
      return;
    } else if ((e.flags & HAS_IMPRESSION) != 0 && timeMillis > e.deadline) {
      counts.lateLabels++;
      if (value && (e.labelled & (1L << task)) == 0) {
        if (latePositivesLearned) {
          e.keepLate(task, timeMillis, tasks); // handed on at the release
        }
        changed.touched(requestId);
      }
      return;
    }
    long bit = 1L << task;
    e.labelled |= bit;
    e.positive = value ? e.positive | bit : e.positive & ~bit;
    changed.touched(requestId);
    if ((e.flags & HAS_IMPRESSION) == 0) {
      if (e.labelTimes == null) {
        e.labelTimes = new long[tasks];
      }
      e.labelTimes[task] = timeMillis;
    }
    if (inTimeOrder) {
      e.due = Math.max(e.due, timeMillis); // the last label's time so far
    }
    if ((e.flags & HAS_IMPRESSION) != 0 && e.labelled == allTasks) {
      complete(requestId, e, e.due, sink);
    }
  }

  /**
   * An example whose labels are all known already (e.g. a positive that arrived after its
   * impression's window, to be learned again, under {@link LatePositiveKeys}): released at once, or
   * in time order once time reaches {@code timeMillis}, with {@code labelled} and {@code positive}
   * as given. {@code requestId} must not be one the store holds for an impression.
   */
  public void labelledExample(
      String requestId,
      long timeMillis,
      byte[] bytes,
      long labelled,
      long positive,
      ReleaseSink sink) {
    if (entries.containsKey(requestId)) {
      counts.duplicateImpressions++;
      return;
    }
    PendingEntry e = new PendingEntry();
    entries.put(requestId, e);
    setDeadline(requestId, e, timeMillis);
    e.flags = HAS_IMPRESSION;
    e.impression = bytes;
    e.labelled = labelled;
    e.positive = positive;
    e.due = timeMillis;
    impressionBytes += bytes.length;
    changed.touched(requestId);
    complete(requestId, e, timeMillis, sink);
    if (!inTimeOrder) {
      remove(requestId, e);
    }
  }

  /** Every task has a label: release now, or in time order once time reaches {@code due}. */
  private void complete(String requestId, PendingEntry e, long due, ReleaseSink sink) {
    if (!inTimeOrder) {
      release(requestId, e, false, sink);
      return;
    }
    e.due = due;
    e.flags |= COMPLETE;
    buckets.add(buckets.end(due), requestId);
  }

  /**
   * Time has reached {@code nowMillis}: every entry whose deadline is at or before it is released
   * (tasks without a label as negatives) or, without an impression, dropped.
   */
  public void advanceTo(long nowMillis, ReleaseSink sink) {
    if (inTimeOrder) {
      advanceInTimeOrder(nowMillis, sink);
      return;
    }
    for (var bucket = buckets.pollDue(nowMillis);
        bucket != null;
        bucket = buckets.pollDue(nowMillis)) {
      for (String requestId : bucket) {
        PendingEntry e = entries.get(requestId);
        if (e != null && e.deadline <= nowMillis) { // else gone, or moved to a later bucket
          expire(requestId, e, sink, nowMillis, null);
        }
      }
    }
  }

  /** An entry due at {@code time}, its request id breaking ties. */
  private record Due(long time, String requestId, PendingEntry entry) {}

  private static final Comparator<Due> IN_TIME_ORDER =
      Comparator.comparingLong(Due::time).thenComparing(Due::requestId);

  private void advanceInTimeOrder(long nowMillis, ReleaseSink sink) {
    // What is due, in order of its time (a complete example's last label, or a deadline), then of
    // request id: the order does not depend on how the inputs were interleaved. An entry listed in
    // a bucket for a time still to come is also listed in a later bucket.
    Map<String, Due> due = new HashMap<>();
    for (var bucket = buckets.pollDue(nowMillis);
        bucket != null;
        bucket = buckets.pollDue(nowMillis)) {
      for (String requestId : bucket) {
        PendingEntry e = entries.get(requestId);
        boolean ready = e != null && isReady(e, nowMillis);
        if (ready || (e != null && e.deadline <= nowMillis)) {
          due.putIfAbsent(requestId, new Due(ready ? e.due : e.deadline, requestId, e));
        }
      }
    }
    // A queue, not a sorted list: a window closing now may add a late positive due now too.
    java.util.PriorityQueue<Due> round = new java.util.PriorityQueue<>(IN_TIME_ORDER);
    round.addAll(due.values());
    for (Due d = round.poll(); d != null; d = round.poll()) {
      if (isReady(d.entry(), nowMillis)) {
        release(d.requestId(), d.entry(), false, sink);
        if (d.entry().deadline <= nowMillis) {
          remove(d.requestId(), d.entry());
        }
      } else {
        expire(d.requestId(), d.entry(), sink, nowMillis, round);
      }
    }
  }

  /** Complete, not yet released, and time has reached its last label. */
  private static boolean isReady(PendingEntry e, long nowMillis) {
    return (e.flags & (COMPLETE | RELEASED)) == COMPLETE && e.due <= nowMillis;
  }

  /**
   * Its deadline has passed: released with what labels it has, or dropped; then gone. Late
   * positives that came while it waited become examples of their own ({@link LatePositiveKeys}),
   * due at their time: in time order, those due by {@code nowMillis} join {@code round}.
   */
  private void expire(
      String requestId,
      PendingEntry e,
      ReleaseSink sink,
      long nowMillis,
      java.util.Queue<Due> round) {
    if ((e.flags & RELEASED) == 0) {
      if ((e.flags & HAS_IMPRESSION) != 0) {
        counts.windowClosed++;
        long[] late = e.lateTimes;
        byte[] impression = e.impression;
        long labelled = e.labelled;
        release(requestId, e, true, sink);
        for (int t = 0; late != null && t < tasks; t++) {
          long bit = 1L << t;
          if (late[t] != Long.MIN_VALUE && (labelled & bit) == 0) {
            String key = LatePositiveKeys.of(requestId, t);
            labelledExample(key, late[t], impression, bit, bit, sink);
            PendingEntry dup = entries.get(key);
            if (round != null && dup != null && late[t] <= nowMillis) {
              round.add(new Due(late[t], key, dup));
            }
          }
        }
      } else if (e.deadline > impressionsClock) {
        // Its impression may still be on its way (their input idle): held, looked at a bucket on.
        buckets.add(buckets.end(nowMillis + 1), requestId);
        return;
      } else {
        counts.orphanLabels++;
      }
    }
    remove(requestId, e);
  }

  /**
   * The impressions' own time (their input's watermark, kept while it is idle; default: no limit).
   * A label waiting for its impression is dropped only once this passes its deadline: time moved on
   * by labels alone (the impressions' readers blocked at a start) must not drop unread ones'
   * labels.
   */
  public void impressionsClock(long timeMillis) {
    impressionsClock = timeMillis;
  }

  /** Whether the impression of {@code requestId} is held, waiting for labels. */
  public boolean waitsForLabels(String requestId) {
    PendingEntry e = entries.get(requestId);
    return e != null && (e.flags & (HAS_IMPRESSION | RELEASED)) == HAS_IMPRESSION;
  }

  /** The end of the earliest bucket that holds a deadline, or {@code Long.MAX_VALUE}. */
  public long nextBucketEnd() {
    return buckets.nextEnd();
  }

  /** Requests held (waiting impressions, waiting labels, markers of released requests). */
  public int size() {
    return entries.size();
  }

  /** Bytes of the impressions held. */
  public long impressionBytes() {
    return impressionBytes;
  }

  /** What happened since the counts were last cleared. */
  public JoinCounts counts() {
    return counts;
  }

  /**
   * The entries changed since the previous call, as the caller's state should hold them: an encoded
   * entry to put, or null to delete. Entries never written before and gone since are left out.
   */
  public List<Change> drainChanges() {
    return changed.drain(entries);
  }

  /** Whether there are changes since the last {@link #drainChanges}. */
  public boolean hasChanges() {
    return changed.any();
  }

  /** Puts back an entry a checkpoint held (after a restore), as {@link #drainChanges} gave it. */
  public void restore(String requestId, byte[] encoded) {
    PendingEntry e = PendingEntry.decode(encoded, tasks);
    if (e.impression != null) {
      impressionBytes += e.impression.length;
    }
    long deadline = e.deadline;
    e.deadline = 0; // registered below, in its bucket
    entries.put(requestId, e);
    setDeadline(requestId, e, deadline);
    if ((e.flags & (COMPLETE | RELEASED)) == COMPLETE) {
      buckets.add(buckets.end(e.due), requestId);
    }
  }

  private void setDeadline(String requestId, PendingEntry e, long deadline) {
    // Rounded up to its bucket's end: expiry is checked once per bucket.
    long end = buckets.end(deadline);
    if (end == e.deadline && buckets.has(end)) {
      return;
    }
    e.deadline = end;
    buckets.add(end, requestId);
  }

  private void release(String requestId, PendingEntry e, boolean windowClosed, ReleaseSink sink) {
    byte[] impression = e.impression;
    e.flags |= RELEASED;
    e.impression = null;
    impressionBytes -= impression.length;
    changed.touched(requestId);
    counts.joined++;
    sink.release(requestId, impression, e.labelled, e.positive, windowClosed, e.takeLateTimes());
  }

  private void remove(String requestId, PendingEntry e) {
    entries.remove(requestId);
    if (e.impression != null) {
      impressionBytes -= e.impression.length;
    }
    changed.gone(requestId, e.persisted);
  }
}
