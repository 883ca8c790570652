package ai.hiformer.model.math;

/**
 * Dense matrix kernels on row-major {@code double[]} arrays with offsets and leading dimensions.
 *
 * <p>All matrices are row-major: element (i, j) of a matrix with leading dimension {@code ld} at
 * offset {@code off} is {@code a[off + i * ld + j]}. A leading dimension larger than the column count
 * addresses a strided view, e.g. the rows of one token inside a (B, T, d) activation use
 * {@code ld = T * d}.
 *
 * <p>Plain Java on purpose: the shapes of one micro-batch are small enough (≤ 256 rows, ≤ a few
 * hundred columns) that ND4J's 15–40 µs per-op overhead would dominate; the loop orders below keep
 * the innermost loop contiguous so that the JIT vectorises it. Only {@code c} is modified.
 */
public final class Blas {
  private Blas() {}

  /**
   * {@code C (m×n) = [C +] A (m×k) · B (k×n)}.
   *
   * @param accumulate when false C is overwritten, when true the product is added to C
   */
  public static void gemmNN(int m, int n, int k,
      double[] a, int aOff, int lda,
      double[] b, int bOff, int ldb,
      double[] c, int cOff, int ldc, boolean accumulate) {
    for (int i = 0; i < m; i++) {
      int ci = cOff + i * ldc;
      if (!accumulate) {
        java.util.Arrays.fill(c, ci, ci + n, 0.0);
      }
      int ai = aOff + i * lda;
      int p = 0;
      // Four rows of B per pass: one load/store of the C row serves four multiply-adds.
      for (; p + 3 < k; p += 4) {
        double a0 = a[ai + p];
        double a1 = a[ai + p + 1];
        double a2 = a[ai + p + 2];
        double a3 = a[ai + p + 3];
        int b0 = bOff + p * ldb;
        int b1 = b0 + ldb;
        int b2 = b1 + ldb;
        int b3 = b2 + ldb;
        for (int j = 0; j < n; j++) {
          c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
        }
      }
      for (; p < k; p++) {
        double ap = a[ai + p];
        if (ap == 0.0) {
          continue;
        }
        int bp = bOff + p * ldb;
        for (int j = 0; j < n; j++) {
          c[ci + j] += ap * b[bp + j];
        }
      }
    }
  }

  /** {@code C (m×n) = [C +] A (m×k) · Bᵀ} where B is stored as (n×k). */
  public static void gemmNT(int m, int n, int k,
      double[] a, int aOff, int lda,
      double[] b, int bOff, int ldb,
      double[] c, int cOff, int ldc, boolean accumulate) {
    for (int i = 0; i < m; i++) {
      int ai = aOff + i * lda;
      int ci = cOff + i * ldc;
      for (int j = 0; j < n; j++) {
        int bj = bOff + j * ldb;
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int p = 0;
        for (; p + 3 < k; p += 4) {
          s0 += a[ai + p] * b[bj + p];
          s1 += a[ai + p + 1] * b[bj + p + 1];
          s2 += a[ai + p + 2] * b[bj + p + 2];
          s3 += a[ai + p + 3] * b[bj + p + 3];
        }
        for (; p < k; p++) {
          s0 += a[ai + p] * b[bj + p];
        }
        double s = (s0 + s1) + (s2 + s3);
        c[ci + j] = accumulate ? c[ci + j] + s : s;
      }
    }
  }

  /** {@code C (m×n) = [C +] Aᵀ · B} where A is stored as (k×m) and B as (k×n). */
  public static void gemmTN(int m, int n, int k,
      double[] a, int aOff, int lda,
      double[] b, int bOff, int ldb,
      double[] c, int cOff, int ldc, boolean accumulate) {
    if (!accumulate) {
      for (int i = 0; i < m; i++) {
        java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0.0);
      }
    }
    for (int p = 0; p < k; p++) {
      int ap = aOff + p * lda;
      int bp = bOff + p * ldb;
      for (int i = 0; i < m; i++) {
        double v = a[ap + i];
        if (v == 0.0) {
          continue;
        }
        int ci = cOff + i * ldc;
        for (int j = 0; j < n; j++) {
          c[ci + j] += v * b[bp + j];
        }
      }
    }
  }

  /** Adds {@code bias (n)} to each of the m rows of C. */
  public static void addRowVector(int m, int n, double[] bias, int biasOff, double[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      int ci = cOff + i * ldc;
      for (int j = 0; j < n; j++) {
        c[ci + j] += bias[biasOff + j];
      }
    }
  }

  /** {@code out (n) += Σ_i rows of A (m×n)}: the gradient of a broadcast bias. */
  public static void sumRowsInto(int m, int n, double[] a, int aOff, int lda, double[] out, int outOff) {
    for (int i = 0; i < m; i++) {
      int ai = aOff + i * lda;
      for (int j = 0; j < n; j++) {
        out[outOff + j] += a[ai + j];
      }
    }
  }
}
