package ai.hiformer.learner.join;

import java.util.ArrayDeque;
import java.util.TreeMap;

/**
 * Request ids by the end of the time bucket their deadline falls in: deadlines rounded up to a
 * bucket's end, so that expiry costs one timer per bucket rather than one per request. An id may be
 * listed in several buckets (its deadline moved); the caller checks the entry when its bucket
 * comes. Not thread-safe.
 */
final class TimeBuckets {
  private final long bucketMillis;
  private final TreeMap<Long, ArrayDeque<String>> buckets = new TreeMap<>();

  /**
   * @param bucketMillis deadlines are rounded up to a multiple of this (at least 1)
   */
  TimeBuckets(long bucketMillis) {
    if (bucketMillis < 1) {
      throw new IllegalArgumentException("time bucket must be >= 1 ms, got " + bucketMillis);
    }
    this.bucketMillis = bucketMillis;
  }

  /** The end of the bucket {@code time} falls in. */
  long end(long time) {
    return Math.floorDiv(time + bucketMillis - 1, bucketMillis) * bucketMillis;
  }

  /** Lists {@code requestId} in the bucket that ends at {@code end}. */
  void add(long end, String requestId) {
    buckets.computeIfAbsent(end, k -> new ArrayDeque<>()).add(requestId);
  }

  boolean has(long end) {
    return buckets.containsKey(end);
  }

  /** Takes the earliest bucket if it ends at or before {@code nowMillis}; null otherwise. */
  ArrayDeque<String> pollDue(long nowMillis) {
    return !buckets.isEmpty() && buckets.firstKey() <= nowMillis
        ? buckets.pollFirstEntry().getValue()
        : null;
  }

  /** The end of the earliest bucket, or {@code Long.MAX_VALUE}. */
  long nextEnd() {
    return buckets.isEmpty() ? Long.MAX_VALUE : buckets.firstKey();
  }
}
