package ai.hiformer.learner.join;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

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
 * impression by their deadline are dropped and counted.
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

  private static final byte HAS_IMPRESSION = 1;
  private static final byte RELEASED = 2;

  /** In time order: every task has a label; released once time reaches {@code due}. */
  private static final byte COMPLETE = 4;

  /** Positives later than the deadline came while the impression waited ({@code lateTimes}). */
  private static final byte LATE_POSITIVES = 8;

  private static final class Entry {
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
     * Per task, the time of a positive later than the deadline that came while the impression
     * waited (a replay reads the topics in any order), or {@code Long.MIN_VALUE}; null: none.
     */
    long[] lateTimes;

    /** Written to the caller's state at a checkpoint, so its release must delete it there. */
    boolean persisted;
  }

  private final long windowMillis;
  private final long bucketMillis;
  private final boolean inTimeOrder;
  private final boolean latePositivesLearned;
  private final long allTasks;
  private final int tasks;
  private final Map<String, Entry> entries = new HashMap<>();

  /** Bucket end → request ids whose deadline falls in it (an id may be listed once per bucket). */
  private final TreeMap<Long, ArrayDeque<String>> buckets = new TreeMap<>();

  private final Set<String> changed = new HashSet<>();
  private final JoinCounts counts = new JoinCounts();
  private long impressionBytes;

  /**
   * @param windowMillis how long an impression waits for its labels
   * @param bucketMillis deadlines are rounded up to a multiple of this (at least 1)
   * @param tasks the model's number of tasks (1..64)
   * @param releaseInTimeOrder release only in {@link #advanceTo}, in order of time (see above)
   */
  public PendingExamples(
      long windowMillis, long bucketMillis, int tasks, boolean releaseInTimeOrder) {
    this(windowMillis, bucketMillis, tasks, releaseInTimeOrder, false);
  }

  /**
   * As above; with {@code latePositivesLearned}, a positive later than the deadline that comes
   * while its impression waits (a replay reads the topics in any order) is learned again when the
   * window closes, as an example of its own ({@link #latePositiveKey}) due at its time, as a caller
   * learning late positives would learn one that came after; otherwise it is dropped.
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
    if (bucketMillis < 1) {
      throw new IllegalArgumentException("time bucket must be >= 1 ms, got " + bucketMillis);
    }
    if (tasks < 1 || tasks > 64) {
      throw new IllegalArgumentException("a model has 1 to 64 tasks, got " + tasks);
    }
    this.windowMillis = windowMillis;
    this.bucketMillis = bucketMillis;
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
    Entry e = entries.get(requestId);
    if (e == null) {
      e = new Entry();
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
      e.due = Long.MIN_VALUE;
      for (int t = 0; t < tasks; t++) {
        long bit = 1L << t;
        if ((e.labelled & bit) == 0) {
          continue;
        }
        if (e.labelTimes[t] > e.deadline) {
          if ((e.positive & bit) != 0) {
            keepLate(e, t, e.labelTimes[t]);
          }
          e.labelled &= ~bit;
          e.positive &= ~bit;
          counts.lateLabels++;
        } else if (inTimeOrder) {
          e.due = Math.max(e.due, e.labelTimes[t]);
        }
      }
      e.labelTimes = null;
    }
    e.flags |= HAS_IMPRESSION;
    e.impression = bytes;
    impressionBytes += bytes.length;
    changed.add(requestId);
    if (e.labelled == allTasks) {
      complete(requestId, e, Math.max(timeMillis, e.due), sink);
    }
  }

  /**
   * A label for task {@code task} of a request, at {@code timeMillis}. A label after its
   * impression's deadline, or for a request already released, is ignored (counted as late).
   */
  public void label(String requestId, int task, boolean value, long timeMillis, ReleaseSink sink) {
    Entry e = entries.get(requestId);
    if (e == null) {
      e = new Entry();
      entries.put(requestId, e);
      setDeadline(requestId, e, timeMillis + windowMillis);
    } else if ((e.flags & RELEASED) != 0) {
      counts.lateLabels++;
      return;
    } else if ((e.flags & HAS_IMPRESSION) != 0 && timeMillis > e.deadline) {
      counts.lateLabels++;
      if (value && (e.labelled & (1L << task)) == 0) {
        keepLate(e, task, timeMillis);
        changed.add(requestId);
      }
      return;
    }
    long bit = 1L << task;
    e.labelled |= bit;
    e.positive = value ? e.positive | bit : e.positive & ~bit;
    changed.add(requestId);
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
   * impression's window, to be learned again, under {@link #latePositiveKey}): released at once, or
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
    Entry e = new Entry();
    entries.put(requestId, e);
    setDeadline(requestId, e, timeMillis);
    e.flags = HAS_IMPRESSION;
    e.impression = bytes;
    e.labelled = labelled;
    e.positive = positive;
    e.due = timeMillis;
    impressionBytes += bytes.length;
    changed.add(requestId);
    complete(requestId, e, timeMillis, sink);
    if (!inTimeOrder) {
      remove(requestId, e);
    }
  }

  /**
   * The key under which a late positive of {@code task} for {@code requestId} is learned again (a
   * request id never holds the character U+0000).
   */
  public static String latePositiveKey(String requestId, int task) {
    return requestId + '\u0000' + task;
  }

  /** The request id of a key, late positive or not. */
  public static String requestIdOf(String key) {
    int at = key.indexOf('\u0000');
    return at < 0 ? key : key.substring(0, at);
  }

  /** Whether {@code key} is a late positive's ({@link #latePositiveKey}). */
  public static boolean isLatePositive(String key) {
    return key.indexOf('\u0000') >= 0;
  }

  /** Keeps the earliest late positive of {@code task}, for the release to hand on. */
  private void keepLate(Entry e, int task, long timeMillis) {
    if (!latePositivesLearned) {
      return;
    }
    if (e.lateTimes == null) {
      e.lateTimes = new long[tasks];
      java.util.Arrays.fill(e.lateTimes, Long.MIN_VALUE);
      e.flags |= LATE_POSITIVES;
    }
    if (e.lateTimes[task] == Long.MIN_VALUE || timeMillis < e.lateTimes[task]) {
      e.lateTimes[task] = timeMillis;
    }
  }

  /** Every task has a label: release now, or in time order once time reaches {@code due}. */
  private void complete(String requestId, Entry e, long due, ReleaseSink sink) {
    if (!inTimeOrder) {
      release(requestId, e, false, sink);
      return;
    }
    e.due = due;
    e.flags |= COMPLETE;
    long end = bucketEnd(due);
    buckets.computeIfAbsent(end, k -> new ArrayDeque<>()).add(requestId);
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
    while (!buckets.isEmpty() && buckets.firstKey() <= nowMillis) {
      for (String requestId : buckets.pollFirstEntry().getValue()) {
        Entry e = entries.get(requestId);
        if (e != null && e.deadline <= nowMillis) { // else gone, or moved to a later bucket
          expire(requestId, e, sink, nowMillis, null);
        }
      }
    }
  }

  /** An entry due at {@code time}, its request id breaking ties. */
  private record Due(long time, String requestId, Entry entry) {}

  private static final Comparator<Due> IN_TIME_ORDER =
      Comparator.comparingLong(Due::time).thenComparing(Due::requestId);

  private void advanceInTimeOrder(long nowMillis, ReleaseSink sink) {
    // What is due, in order of its time (a complete example's last label, or a deadline), then of
    // request id: the order does not depend on how the inputs were interleaved. An entry listed in
    // a bucket for a time still to come is also listed in a later bucket.
    Map<String, Due> due = new HashMap<>();
    while (!buckets.isEmpty() && buckets.firstKey() <= nowMillis) {
      for (String requestId : buckets.pollFirstEntry().getValue()) {
        Entry e = entries.get(requestId);
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
  private static boolean isReady(Entry e, long nowMillis) {
    return (e.flags & (COMPLETE | RELEASED)) == COMPLETE && e.due <= nowMillis;
  }

  /**
   * Its deadline has passed: released with what labels it has, or dropped; then gone. Late
   * positives that came while it waited become examples of their own ({@link #latePositiveKey}),
   * due at their time: in time order, those due by {@code nowMillis} join {@code round}.
   */
  private void expire(
      String requestId, Entry e, ReleaseSink sink, long nowMillis, java.util.Queue<Due> round) {
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
            String key = latePositiveKey(requestId, t);
            labelledExample(key, late[t], impression, bit, bit, sink);
            Entry dup = entries.get(key);
            if (round != null && dup != null && late[t] <= nowMillis) {
              round.add(new Due(late[t], key, dup));
            }
          }
        }
      } else {
        counts.orphanLabels++;
      }
    }
    remove(requestId, e);
  }

  /** Whether the impression of {@code requestId} is held, waiting for labels. */
  public boolean waitsForLabels(String requestId) {
    Entry e = entries.get(requestId);
    return e != null && (e.flags & (HAS_IMPRESSION | RELEASED)) == HAS_IMPRESSION;
  }

  /** The end of the earliest bucket that holds a deadline, or {@code Long.MAX_VALUE}. */
  public long nextBucketEnd() {
    return buckets.isEmpty() ? Long.MAX_VALUE : buckets.firstKey();
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
    List<Change> out = new ArrayList<>(changed.size());
    for (String requestId : changed) {
      Entry e = entries.get(requestId);
      if (e != null) {
        out.add(new Change(requestId, encode(e)));
        e.persisted = true;
      } else {
        out.add(new Change(requestId, null));
      }
    }
    changed.clear();
    return out;
  }

  /** Whether there are changes since the last {@link #drainChanges}. */
  public boolean hasChanges() {
    return !changed.isEmpty();
  }

  /** Puts back an entry a checkpoint held (after a restore), as {@link #drainChanges} gave it. */
  public void restore(String requestId, byte[] encoded) {
    ByteBuffer b = ByteBuffer.wrap(encoded);
    Entry e = new Entry();
    e.flags = b.get();
    long deadline = b.getLong();
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
      impressionBytes += e.impression.length;
    } else if ((e.flags & HAS_IMPRESSION) == 0 && b.remaining() >= 8L * tasks) {
      e.labelTimes = new long[tasks];
      for (int t = 0; t < tasks; t++) {
        e.labelTimes[t] = b.getLong();
      }
    }
    e.persisted = true;
    entries.put(requestId, e);
    setDeadline(requestId, e, deadline);
    if ((e.flags & (COMPLETE | RELEASED)) == COMPLETE) {
      buckets.computeIfAbsent(bucketEnd(e.due), k -> new ArrayDeque<>()).add(requestId);
    }
  }

  private long bucketEnd(long time) {
    return Math.floorDiv(time + bucketMillis - 1, bucketMillis) * bucketMillis;
  }

  private void setDeadline(String requestId, Entry e, long deadline) {
    // Rounded up to its bucket's end: expiry is checked once per bucket.
    long end = bucketEnd(deadline);
    if (end == e.deadline && buckets.containsKey(end)) {
      return;
    }
    e.deadline = end;
    buckets.computeIfAbsent(end, k -> new ArrayDeque<>()).add(requestId);
  }

  private void release(String requestId, Entry e, boolean windowClosed, ReleaseSink sink) {
    byte[] impression = e.impression;
    e.flags |= RELEASED;
    e.impression = null;
    impressionBytes -= impression.length;
    changed.add(requestId);
    counts.joined++;
    long[] late = e.lateTimes;
    e.lateTimes = null;
    e.flags &= ~LATE_POSITIVES;
    sink.release(requestId, impression, e.labelled, e.positive, windowClosed, late);
  }

  private void remove(String requestId, Entry e) {
    entries.remove(requestId);
    if (e.impression != null) {
      impressionBytes -= e.impression.length;
    }
    if (e.persisted) {
      changed.add(requestId);
    } else {
      changed.remove(requestId);
    }
  }

  private static byte[] encode(Entry e) {
    int n =
        e.impression != null
            ? e.impression.length
            : e.labelTimes != null ? 8 * e.labelTimes.length : 0;
    int late = e.lateTimes == null ? 0 : 8 * e.lateTimes.length;
    ByteBuffer b = ByteBuffer.allocate(1 + 8 * 4 + late + n);
    b.put(e.flags).putLong(e.deadline).putLong(e.due).putLong(e.labelled).putLong(e.positive);
    if (e.lateTimes != null) {
      for (long t : e.lateTimes) {
        b.putLong(t);
      }
    }
    if (e.impression != null) {
      b.put(e.impression);
    } else if (e.labelTimes != null) {
      for (long t : e.labelTimes) {
        b.putLong(t);
      }
    }
    return b.array();
  }
}
