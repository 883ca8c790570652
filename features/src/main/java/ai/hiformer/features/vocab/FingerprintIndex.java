package ai.hiformer.features.vocab;

import java.util.Arrays;

/**
 * A vocabulary's value index: fingerprint → id, an open-addressing table of ids with linear probing
 * (0 = empty), kept at a load of at most 0.6, deletions shifting later members of a probe run back
 * (no tombstones). The fingerprints themselves live in the vocabulary's array indexed by id, passed
 * in with each call (it grows as ids do).
 */
final class FingerprintIndex {
  private int[] slots = new int[1024];
  private int size;

  /** Entries held. */
  int size() {
    return size;
  }

  /** The id of {@code fp}, or 0. */
  int get(long fp, long[] fingerprint) {
    int s = find(fp, fingerprint);
    return s < 0 ? 0 : slots[s];
  }

  /** Adds {@code id}, whose fingerprint is {@code fingerprint[id]} and is not held yet. */
  void put(int id, long[] fingerprint) {
    slots[-1 - find(fingerprint[id], fingerprint)] = id;
    size++;
    if (size * 5 > slots.length * 3) {
      rehash(slots.length * 2, fingerprint);
    }
  }

  /** Removes {@code fp}, if held. */
  void remove(long fp, long[] fingerprint) {
    int s = find(fp, fingerprint);
    if (s < 0) {
      return;
    }
    int mask = slots.length - 1;
    slots[s] = 0;
    size--;
    for (int j = (s + 1) & mask; slots[j] != 0; j = (j + 1) & mask) {
      int id = slots[j];
      int home = spread(fingerprint[id]) & mask;
      // Move id back into the hole when its home is not cyclically within (s, j].
      boolean between = s <= j ? (home > s && home <= j) : (home > s || home <= j);
      if (!between) {
        slots[s] = id;
        slots[j] = 0;
        s = j;
      }
    }
  }

  void clear() {
    Arrays.fill(slots, 0);
    size = 0;
  }

  /** Heap bytes of the table. */
  long bytes() {
    return 4L * slots.length;
  }

  private static int spread(long fp) {
    long h = fp ^ (fp >>> 33);
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return (int) h;
  }

  /** The slot holding {@code fp}, or the empty slot where it would go (as {@code -1 - slot}). */
  private int find(long fp, long[] fingerprint) {
    int mask = slots.length - 1;
    for (int s = spread(fp) & mask; ; s = (s + 1) & mask) {
      int id = slots[s];
      if (id == 0) {
        return -1 - s;
      }
      if (fingerprint[id] == fp) {
        return s;
      }
    }
  }

  private void rehash(int capacity, long[] fingerprint) {
    int[] old = slots;
    slots = new int[capacity];
    int mask = capacity - 1;
    for (int id : old) {
      if (id != 0) {
        int s = spread(fingerprint[id]) & mask;
        while (slots[s] != 0) {
          s = (s + 1) & mask;
        }
        slots[s] = id;
      }
    }
  }
}
