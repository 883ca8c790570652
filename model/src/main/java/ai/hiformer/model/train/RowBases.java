package ai.hiformer.model.train;

import java.util.Arrays;

/**
 * The rows of one embedding table that a learner moved since the last merged state, each with its
 * value and accumulator in that merged state (its <em>base</em>), captured the moment the row was
 * first touched ({@link PeerExchange}). A row not held here still holds its merged value. Slots are
 * numbered in the order rows were added; arrays are reused across exchanges, so capturing a row
 * allocates nothing once the arrays have grown to a period's rows.
 */
final class RowBases {
  private final int dim;
  private int[] keys = new int[64]; // open addressing: id + 1, 0 = empty
  private int[] slotOfKey = new int[64];
  private int[] ids = new int[16];
  private double[] cells; // per slot: dim values, then dim accumulators
  private int size;

  RowBases(int dim) {
    this.dim = dim;
    this.cells = new double[16 * 2 * dim];
  }

  int dim() {
    return dim;
  }

  int size() {
    return size;
  }

  int idAt(int slot) {
    return ids[slot];
  }

  /** The slot of row {@code id}, or -1 when it has none. */
  int slot(int id) {
    int mask = keys.length - 1;
    for (int h = mix(id) & mask; ; h = (h + 1) & mask) {
      int k = keys[h];
      if (k == 0) {
        return -1;
      }
      if (k == id + 1) {
        return slotOfKey[h];
      }
    }
  }

  /** Adds row {@code id} (absent) and returns its slot; its cells are then the caller's to fill. */
  int add(int id) {
    if ((size + 1) * 2 > keys.length) {
      rehash(keys.length * 2);
    }
    if (size == ids.length) {
      ids = Arrays.copyOf(ids, size * 2);
      cells = Arrays.copyOf(cells, size * 2 * 2 * dim);
    }
    insert(id, size);
    ids[size] = id;
    return size++;
  }

  /** Value {@code j} of the base in {@code slot}. */
  double value(int slot, int j) {
    return cells[slot * 2 * dim + j];
  }

  double accumulator(int slot, int j) {
    return cells[slot * 2 * dim + dim + j];
  }

  void set(int slot, int j, double value, double accumulator) {
    cells[slot * 2 * dim + j] = value;
    cells[slot * 2 * dim + dim + j] = accumulator;
  }

  void clear() {
    Arrays.fill(keys, 0);
    size = 0;
  }

  /** Copies {@code from}'s slot into a new slot here for the same row. */
  void addCopy(RowBases from, int slot) {
    int to = add(from.ids[slot]);
    System.arraycopy(from.cells, slot * 2 * dim, cells, to * 2 * dim, 2 * dim);
  }

  private void insert(int id, int slot) {
    int mask = keys.length - 1;
    int h = mix(id) & mask;
    while (keys[h] != 0) {
      h = (h + 1) & mask;
    }
    keys[h] = id + 1;
    slotOfKey[h] = slot;
  }

  private void rehash(int capacity) {
    keys = new int[capacity];
    slotOfKey = new int[capacity];
    for (int s = 0; s < size; s++) {
      insert(ids[s], s);
    }
  }

  private static int mix(int id) {
    int h = id * 0x9E3779B9;
    return h ^ (h >>> 16);
  }
}
