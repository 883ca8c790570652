package ai.hiformer.jobs.operators;

import java.util.ArrayList;
import java.util.Arrays;

/**
 * Events staged to be scored in one pass, in arrival order, each with its record timestamp ({@code
 * Long.MIN_VALUE}: none), which its score keeps. Reused from batch to batch. Not thread-safe.
 */
final class StagedEvents<T> {
  private final ArrayList<T> events = new ArrayList<>();
  private long[] timestamps = new long[16];

  void add(T event, long timestamp) {
    if (events.size() == timestamps.length) {
      timestamps = Arrays.copyOf(timestamps, 2 * timestamps.length);
    }
    timestamps[events.size()] = timestamp;
    events.add(event);
  }

  int size() {
    return events.size();
  }

  T get(int i) {
    return events.get(i);
  }

  long timestamp(int i) {
    return timestamps[i];
  }

  void clear() {
    events.clear();
  }
}
