package ai.hiformer.model.math;

/**
 * One row times a matrix held as float rows: the kernel that scores a single example, where the
 * product is bound by reading the weights (float halves the bytes of double). The matrix is one
 * array per row because C2 (JDK 17) vectorises {@code out[j] += a·row[j]} over separate row arrays
 * but not over offsets into one flat array, where it cannot rule out overlap with {@code out} (8×
 * measured).
 */
public final class FloatRows {
  private FloatRows() {}

  /**
   * out (w) = row[off, off + len) · M (len rows of w). Four rows of M per pass, so one load and
   * store of {@code out} serves four multiply-adds; every access in the inner loop uses the same
   * index j.
   */
  public static void times(float[] row, int off, int len, float[][] m, int w, float[] out) {
    java.util.Arrays.fill(out, 0, w, 0f);
    int p = 0;
    for (; p + 3 < len; p += 4) {
      float a0 = row[off + p];
      float a1 = row[off + p + 1];
      float a2 = row[off + p + 2];
      float a3 = row[off + p + 3];
      float[] m0 = m[p];
      float[] m1 = m[p + 1];
      float[] m2 = m[p + 2];
      float[] m3 = m[p + 3];
      for (int j = 0; j < w; j++) {
        out[j] += a0 * m0[j] + a1 * m1[j] + a2 * m2[j] + a3 * m3[j];
      }
    }
    for (; p < len; p++) {
      float a = row[off + p];
      float[] mp = m[p];
      for (int j = 0; j < w; j++) {
        out[j] += a * mp[j];
      }
    }
  }

  /**
   * Copies a row-major double matrix (rows.length × w, w = rows[0].length) into float rows, or,
   * with {@code col} > 0, into columns [col, col + w) of wider rows.
   */
  public static void copy(double[] a, int w, float[][] rows, int col) {
    for (int i = 0; i < rows.length; i++) {
      float[] row = rows[i];
      for (int j = 0; j < w; j++) {
        row[col + j] = (float) a[i * w + j];
      }
    }
  }
}
