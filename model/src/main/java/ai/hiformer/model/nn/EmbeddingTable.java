package ai.hiformer.model.nn;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Sparse embedding rows of one field: row {@code id} is {@code dim} float32 values with a float32
 * Adagrad accumulator of the same shape (the per-row optimiser state of docs/ARCHITECTURE.md §3).
 *
 * <p><b>Storage.</b> Rows live in pages of {@link #PAGE_ROWS} rows ({@code PAGE_ROWS · dim} floats
 * per page for the values, as many for the accumulators), so no single array holds a whole table
 * and a table can grow to {@code Integer.MAX_VALUE} rows within the machine's memory: 2 × 4 × dim
 * bytes a row (128 bytes at d = 16). Only the last page grows by copying; earlier pages never move.
 * Values are stored in float32 (the reference's precision); the optimiser's arithmetic runs in
 * double and rounds once on store. A model of {@code model.precision=double} (exact double math,
 * the conformance tests' mode) stores its rows in double pages instead ({@link #wide()}), so that
 * the math can be checked against a float64 reference to 1e-9.
 *
 * <p>Row 0 is the out-of-vocabulary / padding row: always zero, never updated (torch {@code
 * padding_idx=0}). Rows grow on demand; a new row is drawn from N(0, initStd²) with a generator
 * seeded by (seed, table, row) alone, so its initial value does not depend on the order in which
 * rows are first seen (a job and an offline evaluation that see the same ids get the same model).
 *
 * <p><b>Gradients</b> are sparse and compact: the first {@link #gradOffset} of a row in a step
 * gives it the next slot of {@link #grads()} ({@code touchedCount · dim} doubles, slot {@code i}
 * belonging to row {@code touchedRows()[i]}); optimisers visit only those slots, then call {@link
 * #clearTouched()}. The gradient memory follows the rows a step touches, not the table.
 */
public final class EmbeddingTable {
  /** Rows per page (a power of two). */
  public static final int PAGE_ROWS = 1 << 12;

  private static final int PAGE_SHIFT = 12;
  private static final int PAGE_MASK = PAGE_ROWS - 1;

  private final String name;
  private final int dim;
  private final double initStd;
  private final long seed;
  private int rows; // rows materialised so far (ids 0..rows-1)
  private boolean frozen; // serving: no new rows, no optimiser state
  private boolean
      valuesOnly; // a replica: rows may be added (by updates), never trained: no optimiser state
  private final boolean wide;
  private float[][] values = new float[0][]; // float32 rows, unless wide
  private float[][] accum = new float[0][];
  private double[][] wideValues = new double[0][]; // double rows, when wide
  private double[][] wideAccum = new double[0][];

  private int[] pageSlots = new int[0]; // cells allocated in each page
  private final GradientSlots slots; // this step's sparse gradients

  private RowChanges changes = RowChanges.NONE;

  private void markChanged(int id) {
    changes.changed(id);
  }

  /**
   * Tells {@code listener} of every change to this table's rows from now on (trained, created,
   * re-initialised, reserved), in place of any listener before it. Set it before rows are added
   * whose changes it must see.
   */
  public void trackChanges(RowChanges listener) {
    this.changes = java.util.Objects.requireNonNull(listener);
  }

  /** Who is told of this table's changes ({@link RowChanges#NONE} unless {@link #trackChanges}). */
  public RowChanges changes() {
    return changes;
  }

  public EmbeddingTable(String name, int dim, double initStd, long seed, int initialCapacity) {
    this(name, dim, initStd, seed, initialCapacity, false);
  }

  /**
   * @param wide store rows and accumulators as doubles (exact-math mode) rather than float32
   */
  public EmbeddingTable(
      String name, int dim, double initStd, long seed, int initialCapacity, boolean wide) {
    if (dim <= 0) {
      throw new IllegalArgumentException("embedding dim must be positive, got " + dim);
    }
    this.name = name;
    this.dim = dim;
    this.initStd = initStd;
    this.seed = seed;
    this.wide = wide;
    this.slots = new GradientSlots(dim);
    rows = 0;
    grow(Math.max(1, Math.min(initialCapacity, PAGE_ROWS)) - 1);
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
   * For serving: drops the optimiser accumulators and gradient scratch (half the table's memory)
   * and refuses new rows from now on, so that scoring can neither grow the table nor train it.
   */
  public void freeze() {
    dropOptimizerState();
    frozen = true;
  }

  /**
   * For a replica that follows a learner's updates: drops the optimiser accumulators and gradient
   * scratch (half the table's memory) for good; rows can still be added and written, but the table
   * is never trained.
   */
  public void dropOptimizerState() {
    valuesOnly = true;
    accum = new float[0][];
    wideAccum = new double[0][];
    slots.drop();
  }

  /** Whether {@link #freeze()} was called. */
  public boolean frozen() {
    return frozen;
  }

  /** Whether the table holds Adagrad accumulators (false once {@link #freeze() frozen}). */
  public boolean hasOptimizerState() {
    return accum.length > 0 || wideAccum.length > 0;
  }

  /**
   * Whether rows are stored as doubles ({@link #wideValuePage}) rather than float32 ({@link
   * #valuePage}).
   */
  public boolean wide() {
    return wide;
  }

  /** Bytes of one stored cell: 4, or 8 when {@link #wide()}. */
  public int cellBytes() {
    return wide ? 8 : 4;
  }

  /** Heap bytes of the row storage: value and accumulator pages, and the gradient scratch. */
  public long storageBytes() {
    return slots.bytes()
        + 4L * (cells(values) + cells(accum))
        + 8L * (cells(wideValues) + cells(wideAccum));
  }

  private static long cells(Object[] pages) {
    long n = 0;
    for (Object p : pages) {
      n += p == null ? 0 : java.lang.reflect.Array.getLength(p);
    }
    return n;
  }

  /** The value page holding row {@code id}: row {@code id} starts at {@link #offsetInPage(int)}. */
  public float[] valuePage(int id) {
    return values[id >>> PAGE_SHIFT];
  }

  /** The accumulator page holding row {@code id} (same layout as {@link #valuePage}). */
  public float[] accumulatorPage(int id) {
    return accum[id >>> PAGE_SHIFT];
  }

  /** The double value page holding row {@code id}, when {@link #wide()}. */
  public double[] wideValuePage(int id) {
    return wideValues[id >>> PAGE_SHIFT];
  }

  /** The double accumulator page holding row {@code id}, when {@link #wide()}. */
  public double[] wideAccumulatorPage(int id) {
    return wideAccum[id >>> PAGE_SHIFT];
  }

  /** Offset of row {@code id}'s first value within its page. */
  public int offsetInPage(int id) {
    return (id & PAGE_MASK) * dim;
  }

  /** Value {@code j} of row {@code id}. */
  public double value(int id, int j) {
    int o = (id & PAGE_MASK) * dim + j;
    return wide ? wideValues[id >>> PAGE_SHIFT][o] : values[id >>> PAGE_SHIFT][o];
  }

  /** Sets value {@code j} of row {@code id} (rounded to float32). */
  public void setValue(int id, int j, double v) {
    int o = (id & PAGE_MASK) * dim + j;
    if (wide) {
      wideValues[id >>> PAGE_SHIFT][o] = v;
    } else {
      values[id >>> PAGE_SHIFT][o] = (float) v;
    }
  }

  /** Copies row {@code id}'s values into {@code dst[off .. off+dim)}. */
  public void readRow(int id, double[] dst, int off) {
    int o = (id & PAGE_MASK) * dim;
    if (wide) {
      System.arraycopy(wideValues[id >>> PAGE_SHIFT], o, dst, off, dim);
      return;
    }
    float[] p = values[id >>> PAGE_SHIFT];
    for (int j = 0; j < dim; j++) {
      dst[off + j] = p[o + j];
    }
  }

  /** Adds row {@code id}'s values to {@code dst[off .. off+dim)}. */
  public void addRowTo(int id, double[] dst, int off) {
    int o = (id & PAGE_MASK) * dim;
    if (wide) {
      double[] w = wideValues[id >>> PAGE_SHIFT];
      for (int j = 0; j < dim; j++) {
        dst[off + j] += w[o + j];
      }
      return;
    }
    float[] p = values[id >>> PAGE_SHIFT];
    for (int j = 0; j < dim; j++) {
      dst[off + j] += p[o + j];
    }
  }

  /** Overwrites row {@code id}'s values with {@code src[off .. off+dim)} (rounded to float32). */
  public void writeRow(int id, double[] src, int off) {
    int o = (id & PAGE_MASK) * dim;
    if (wide) {
      System.arraycopy(src, off, wideValues[id >>> PAGE_SHIFT], o, dim);
      return;
    }
    float[] p = values[id >>> PAGE_SHIFT];
    for (int j = 0; j < dim; j++) {
      p[o + j] = (float) src[off + j];
    }
  }

  /**
   * The gradient slots of this step: slot {@code i} (at {@code i · dim}) belongs to {@code
   * touchedRows()[i]}.
   */
  public double[] grads() {
    return slots.grads();
  }

  /** Materialises rows up to {@code id} (initialising new ones). */
  public void ensureRow(int id) {
    if (id < rows) {
      return;
    }
    if (frozen) {
      throw new IllegalStateException(
          "table "
              + name
              + " is read-only ("
              + rows
              + " rows); row "
              + id
              + " cannot be added while scoring");
    }
    if (id < 0) {
      throw new IllegalArgumentException("negative row id " + id + " in table " + name);
    }
    grow(id);
    for (int r = rows; r <= id; r++) {
      initRow(r, 0);
    }
    rows = id + 1;
  }

  /** Makes pages hold row {@code id}: full pages before it, the last one grown geometrically. */
  private void grow(int id) {
    int lastPage = id >>> PAGE_SHIFT;
    if (lastPage >= pageSlots.length) {
      int n = Math.max(lastPage + 1, pageSlots.length + (pageSlots.length >> 1) + 1);
      pageSlots = Arrays.copyOf(pageSlots, n);
      if (wide) {
        wideValues = Arrays.copyOf(wideValues, n);
        wideAccum = valuesOnly ? wideAccum : Arrays.copyOf(wideAccum, n);
      } else {
        values = Arrays.copyOf(values, n);
        accum = valuesOnly ? accum : Arrays.copyOf(accum, n);
      }
    }
    for (int p = 0; p <= lastPage; p++) {
      int need = (p < lastPage ? PAGE_ROWS : (id & PAGE_MASK) + 1) * dim;
      int have = pageSlots[p];
      if (have < need) {
        int cap =
            p < lastPage
                ? PAGE_ROWS * dim
                : Math.min(PAGE_ROWS * dim, Math.max(need, have + (have >> 1) + 16 * dim));
        if (wide) {
          wideValues[p] =
              wideValues[p] == null ? new double[cap] : Arrays.copyOf(wideValues[p], cap);
          if (!valuesOnly) {
            wideAccum[p] =
                wideAccum[p] == null ? new double[cap] : Arrays.copyOf(wideAccum[p], cap);
          }
        } else {
          values[p] = values[p] == null ? new float[cap] : Arrays.copyOf(values[p], cap);
          if (!valuesOnly) {
            accum[p] = accum[p] == null ? new float[cap] : Arrays.copyOf(accum[p], cap);
          }
        }
        pageSlots[p] = cap;
      }
    }
  }

  /**
   * Re-initialises a row for a new key (a recycled id after eviction): fresh random values and a
   * zero optimiser accumulator. {@code generation} distinguishes successive owners of the same id.
   */
  public void resetRow(int id, long generation) {
    ensureRow(id);
    initRow(id, generation);
  }

  private void initRow(int r, long generation) {
    markChanged(r);
    int o = (r & PAGE_MASK) * dim;
    if (valuesOnly) {
      // no accumulator to clear
    } else if (wide) {
      Arrays.fill(wideAccum[r >>> PAGE_SHIFT], o, o + dim, 0.0);
    } else {
      Arrays.fill(accum[r >>> PAGE_SHIFT], o, o + dim, 0f);
    }
    SplittableRandom rng =
        initStd == 0.0 || r == 0
            ? null
            : new SplittableRandom(Init.rowSeed(seed, name.hashCode(), r, generation));
    for (int j = 0; j < dim; j++) {
      setValue(r, j, rng == null ? 0.0 : Init.gaussian(rng) * initStd);
    }
  }

  /**
   * Marks row {@code id} touched in this step and returns the offset of its gradient slot in {@link
   * #grads()} (zeroed on the first touch of the step). Row 0 returns -1: it never learns.
   */
  public int gradOffset(int id) {
    if (id == 0) {
      return -1;
    }
    int before = slots.touchedCount();
    int offset = slots.offset(id);
    if (slots.touchedCount() != before) {
      markChanged(id); // its first touch in the step
    }
    return offset;
  }

  /**
   * Ids touched since the last {@link #clearTouched()}, by slot (first {@link #touchedCount()}).
   */
  public int[] touchedRows() {
    return slots.touchedRows();
  }

  public int touchedCount() {
    return slots.touchedCount();
  }

  /**
   * Materialises rows up to {@code rows - 1} without drawing their initial values (zero), for a
   * restore that overwrites every row from saved state; the listener hears of them as {@link
   * RowChanges#reserved}, not as changes.
   */
  public void reserveRows(int rows) {
    if (rows <= this.rows) {
      return;
    }
    if (frozen) {
      throw new IllegalStateException("table " + name + " is read-only");
    }
    grow(rows - 1);
    changes.reserved(this.rows, rows);
    this.rows = rows;
  }

  public void clearTouched() {
    slots.clear();
  }
}
