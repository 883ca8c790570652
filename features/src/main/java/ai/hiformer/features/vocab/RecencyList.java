package ai.hiformer.features.vocab;

import java.util.Arrays;

/**
 * A vocabulary's live ids in order of their last sighting (then of id), eldest first: a doubly
 * linked list through two arrays indexed by id (0 = none), so that a sighting moves an id to the
 * newest end at once and eviction takes the eldest.
 */
final class RecencyList {
  private int[] older = new int[64];
  private int[] newer = new int[64];
  private int eldest;
  private int newest;

  /** Makes room for ids below {@code n}. */
  void ensure(int n) {
    if (n > older.length) {
      older = Arrays.copyOf(older, n);
      newer = Arrays.copyOf(newer, n);
    }
  }

  /** The least recently seen id, or 0 when the list is empty. */
  int eldest() {
    return eldest;
  }

  /** The id seen after {@code id}, or 0 when it is the newest. */
  int newer(int id) {
    return newer[id];
  }

  /** Empties the list (the links of ids no longer in it are left, unreachable). */
  void clear() {
    eldest = 0;
    newest = 0;
  }

  /** Takes {@code id} out of the list. */
  void unlink(int id) {
    int o = older[id];
    int n = newer[id];
    if (o != 0) {
      newer[o] = n;
    } else {
      eldest = n;
    }
    if (n != 0) {
      older[n] = o;
    } else {
      newest = o;
    }
    older[id] = 0;
    newer[id] = 0;
  }

  /**
   * Inserts {@code id} by (last seen, id), searching from the newest end, where a sighting almost
   * always goes.
   *
   * @param lastSeen by id: when each was last seen
   */
  void linkInOrder(int id, long[] lastSeen) {
    int after = newest;
    while (after != 0
        && (lastSeen[after] > lastSeen[id] || (lastSeen[after] == lastSeen[id] && after > id))) {
      after = older[after];
    }
    int before = after == 0 ? eldest : newer[after];
    older[id] = after;
    newer[id] = before;
    if (after != 0) {
      newer[after] = id;
    } else {
      eldest = id;
    }
    if (before != 0) {
      older[before] = id;
    } else {
      newest = id;
    }
  }

  /** Heap bytes of the links. */
  long bytes() {
    return 4L * (older.length + newer.length);
  }
}
