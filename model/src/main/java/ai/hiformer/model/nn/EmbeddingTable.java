package ai.hiformer.model.nn;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sparse embedding rows of one field: row {@code id} is {@code dim} doubles at {@code id * dim}.
 *
 * <p>Row 0 is the out-of-vocabulary / padding row: always zero, never updated (torch
 * {@code padding_idx=0}). Rows grow on demand; a new row is drawn from N(0, initStd²) with a generator
 * seeded by (seed, table, row) alone, so its initial value does not depend on the order in which rows
 * are first seen (a job and an offline evaluation that see the same ids get the same model).
 *
 * <p>Gradients are sparse: {@link #gradOffset} marks a row as touched in the current step; optimisers
 * visit only touched rows ({@link #touchedRows()}), then call {@link #clearTouched()}. Each row also
 * carries an Adagrad accumulator (the per-row optimiser state of docs/DESIGN.md §3).
 */
public final class EmbeddingTable {
  private final String name;
  private final int dim;
  private final double initStd;
  private final long seed;
  private int rows;          // rows materialised so far (ids 0..rows-1)
  private boolean frozen;    // serving: no new rows, no optimiser state
  private double[] values;
  private double[] accum;
  private double[] grad;
  private int[] touchStamp;
  private int stamp = 1;
  private int[] touched = new int[64];
  private int touchedCount;
  // Rows changed (trained, created or re-initialised) since the last drainChanged(): what a delta carries.
  private final java.util.BitSet changed = new java.util.BitSet();

  public EmbeddingTable(String name, int dim, double initStd, long seed, int initialCapacity) {
    if (dim <= 0) {
      throw new IllegalArgumentException("embedding dim must be positive, got " + dim);
    }
    this.name = name;
    this.dim = dim;
    this.initStd = initStd;
    this.seed = seed;
    int cap = Math.max(2, initialCapacity);
    values = new double[cap * dim];
    accum = new double[cap * dim];
    grad = new double[cap * dim];
    touchStamp = new int[cap];
    rows = 1; // row 0: zero, frozen
  }

  public String name() {
    return name;
  }

  public int dim() {
    return dim;
  }

  /** Number of materialised rows including row 0. */
  public int rows() {
    return rows;
  }

  /**
   * For serving: drops the optimiser accumulators and gradient rows (two thirds of the table's memory) and
   * refuses new rows from now on, so that scoring can neither grow the table nor train it.
   */
  public void freeze() {
    frozen = true;
    accum = new double[0];
    grad = new double[0];
  }

  /** Whether {@link #freeze()} was called. */
  public boolean frozen() {
    return frozen;
  }

  /** The live row values (the array is replaced when the table grows; re-read after {@link #ensureRow}). */
  public double[] values() {
    return values;
  }

  public double[] accumulators() {
    return accum;
  }

  public double[] grads() {
    return grad;
  }

  /** Materialises rows up to {@code id} (initialising new ones). */
  public void ensureRow(int id) {
    if (id < rows) {
      return;
    }
    if (frozen) {
      throw new IllegalStateException("table " + name + " is read-only (" + rows + " rows); row " + id
          + " cannot be added while scoring");
    }
    if (id < 0) {
      throw new IllegalArgumentException("negative row id " + id + " in table " + name);
    }
    int cap = touchStamp.length;
    if (id >= cap) {
      int newCap = Math.max(id + 1, cap + (cap >> 1) + 16);
      values = Arrays.copyOf(values, newCap * dim);
      accum = Arrays.copyOf(accum, newCap * dim);
      grad = Arrays.copyOf(grad, newCap * dim);
      touchStamp = Arrays.copyOf(touchStamp, newCap);
    }
    for (int r = rows; r <= id; r++) {
      initRow(r, 0);
    }
    rows = id + 1;
  }

  /**
   * Re-initialises a row for a new key (a recycled id after eviction): fresh random values and a zero
   * optimiser accumulator. {@code generation} distinguishes successive owners of the same id.
   */
  public void resetRow(int id, long generation) {
    ensureRow(id);
    initRow(id, generation);
  }

  private void initRow(int r, long generation) {
    changed.set(r);
    int o = r * dim;
    Arrays.fill(accum, o, o + dim, 0.0);
    if (initStd == 0.0 || r == 0) {
      Arrays.fill(values, o, o + dim, 0.0);
      return;
    }
    SplittableRandom rng = new SplittableRandom(mix(seed, name.hashCode(), r, generation));
    for (int j = 0; j < dim; j++) {
      values[o + j] = Init.gaussian(rng) * initStd;
    }
  }

  private static long mix(long seed, int table, int row, long generation) {
    long h = seed * 0x9E3779B97F4A7C15L;
    h ^= (table * 0xC2B2AE3D27D4EB4FL) + 0x165667B19E3779F9L;
    h = Long.rotateLeft(h, 31) * 0x9E3779B97F4A7C15L;
    h ^= row * 0xD6E8FEB86659FD93L;
    h ^= generation * 0xFF51AFD7ED558CCDL;
    return h ^ (h >>> 29);
  }

  /**
   * Marks row {@code id} touched in this step and returns the offset of its gradient in
   * {@link #grads()} (zeroed on the first touch of the step). Row 0 returns -1: it never learns.
   */
  public int gradOffset(int id) {
    if (id == 0) {
      return -1;
    }
    if (touchStamp[id] != stamp) {
      touchStamp[id] = stamp;
      changed.set(id);
      if (touchedCount == touched.length) {
        touched = Arrays.copyOf(touched, touched.length * 2);
      }
      touched[touchedCount++] = id;
      Arrays.fill(grad, id * dim, id * dim + dim, 0.0);
    }
    return id * dim;
  }

  /** Ids touched since the last {@link #clearTouched()}, in first-touch order (first {@link #touchedCount()}). */
  public int[] touchedRows() {
    return touched;
  }

  public int touchedCount() {
    return touchedCount;
  }

  /** Ids of the rows changed since the last call (trained, created or re-initialised), ascending; then forgets them. */
  public int[] drainChanged() {
    int[] ids = changed.stream().toArray();
    changed.clear();
    return ids;
  }

  public void clearTouched() {
    touchedCount = 0;
    stamp++;
    if (stamp == Integer.MAX_VALUE) {
      Arrays.fill(touchStamp, 0);
      stamp = 1;
    }
  }
}
