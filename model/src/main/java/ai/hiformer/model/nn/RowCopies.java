package ai.hiformer.model.nn;

import java.nio.ByteBuffer;

/**
 * An {@link EmbeddingTable}'s rows copied out and back, through its pages: whole tables as one flat
 * array ({@code rows · dim} cells, row-major; for checks, a best epoch's capture, and tables that
 * fit one array), and one row's saved state (its values, then its Adagrad accumulators,
 * little-endian cells) for state saved row by row.
 */
public final class RowCopies {
  private RowCopies() {}

  /** Rows 0..rows-1 as floats (a wide table's values rounded). */
  public static float[] values(EmbeddingTable t) {
    if (t.wide()) {
      double[] d = valuesAsDoubles(t);
      float[] f = new float[d.length];
      for (int i = 0; i < d.length; i++) {
        f[i] = (float) d[i];
      }
      return f;
    }
    float[] out = new float[Math.multiplyExact(t.rows(), t.dim())];
    for (int first = 0; first < t.rows(); first += EmbeddingTable.PAGE_ROWS) {
      int n = Math.min(EmbeddingTable.PAGE_ROWS, t.rows() - first) * t.dim();
      System.arraycopy(t.valuePage(first), 0, out, first * t.dim(), n);
    }
    return out;
  }

  /** Rows 0..rows-1 as doubles (exactly what is stored, whatever the width). */
  public static double[] valuesAsDoubles(EmbeddingTable t) {
    return cells(t, false);
  }

  /** The accumulators, laid out as {@link #valuesAsDoubles}. */
  public static double[] accumulatorsAsDoubles(EmbeddingTable t) {
    return cells(t, true);
  }

  private static double[] cells(EmbeddingTable t, boolean accumulators) {
    double[] out = new double[Math.multiplyExact(t.rows(), t.dim())];
    for (int first = 0; first < t.rows(); first += EmbeddingTable.PAGE_ROWS) {
      int n = Math.min(EmbeddingTable.PAGE_ROWS, t.rows() - first) * t.dim();
      if (t.wide()) {
        double[] page = accumulators ? t.wideAccumulatorPage(first) : t.wideValuePage(first);
        System.arraycopy(page, 0, out, first * t.dim(), n);
      } else {
        float[] page = accumulators ? t.accumulatorPage(first) : t.valuePage(first);
        for (int i = 0; i < n; i++) {
          out[first * t.dim() + i] = page[i];
        }
      }
    }
    return out;
  }

  /** Overwrites the first {@code flat.length / dim} rows' values from a {@link #values} layout. */
  public static void restoreValues(EmbeddingTable t, float[] flat) {
    if (t.wide()) {
      double[] d = new double[flat.length];
      for (int i = 0; i < flat.length; i++) {
        d[i] = flat[i];
      }
      restoreValues(t, d);
      return;
    }
    int n = flat.length / t.dim();
    if (n > 0) {
      t.ensureRow(n - 1);
    }
    for (int first = 0; first < n; first += EmbeddingTable.PAGE_ROWS) {
      int cells = Math.min(EmbeddingTable.PAGE_ROWS, n - first) * t.dim();
      System.arraycopy(flat, first * t.dim(), t.valuePage(first), 0, cells);
    }
  }

  /** Overwrites the first {@code flat.length / dim} rows' values (rounded unless wide). */
  public static void restoreValues(EmbeddingTable t, double[] flat) {
    int n = flat.length / t.dim();
    if (n > 0) {
      t.ensureRow(n - 1);
    }
    for (int r = 0; r < n; r++) {
      t.writeRow(r, flat, r * t.dim());
    }
  }

  /** Bytes of one row's saved state: values then accumulators, a cell each. */
  public static int stateBytes(EmbeddingTable t) {
    return 2 * t.dim() * t.cellBytes();
  }

  /** Writes row {@code id}'s values and accumulators at {@code out}'s position. */
  public static void writeState(EmbeddingTable t, int id, ByteBuffer out) {
    int o = t.offsetInPage(id);
    int dim = t.dim();
    if (t.wide()) {
      out.asDoubleBuffer().put(t.wideValuePage(id), o, dim).put(t.wideAccumulatorPage(id), o, dim);
    } else {
      out.asFloatBuffer().put(t.valuePage(id), o, dim).put(t.accumulatorPage(id), o, dim);
    }
    out.position(out.position() + stateBytes(t));
  }

  /** Reads what {@link #writeState} wrote into row {@code id} (which must exist). */
  public static void readState(EmbeddingTable t, int id, ByteBuffer in) {
    if (id <= 0 || id >= t.rows()) {
      throw new IllegalArgumentException(
          "saved row " + id + " is outside table " + t.name() + " (" + t.rows() + " rows)");
    }
    int o = t.offsetInPage(id);
    int dim = t.dim();
    if (t.wide()) {
      in.asDoubleBuffer().get(t.wideValuePage(id), o, dim).get(t.wideAccumulatorPage(id), o, dim);
    } else {
      in.asFloatBuffer().get(t.valuePage(id), o, dim).get(t.accumulatorPage(id), o, dim);
    }
    in.position(in.position() + stateBytes(t));
  }
}
