package ai.hiformer.model.math;

/**
 * Dense matrix kernels on row-major {@code double[]} arrays with offsets and leading dimensions.
 *
 * <p>All matrices are row-major: element (i, j) of a matrix with leading dimension {@code ld} at
 * offset {@code off} is {@code a[off + i * ld + j]}. A leading dimension larger than the column
 * count addresses a strided view, e.g. the rows of one token inside a (B, T, d) activation use
 * {@code ld = T * d}.
 *
 * <p>Products of at least {@link #NATIVE_MIN_MACS} multiply-accumulates whose matrices start at
 * index 0 go to OpenBLAS on the heap arrays themselves (sgemm or dgemm, see {@link NativeBlas};
 * 6–12× the Java loops at batch 256). Smaller ones stay in plain Java, where a native call's fixed
 * cost (≈ 10 µs measured) would dominate (per-event scoring, per-token slices). The Java loops keep
 * the innermost loop contiguous so that the JIT vectorises it. Only {@code c} is modified.
 */
public final class Blas {
  /** Below this many multiply-accumulates a product stays in Java. */
  public static final long NATIVE_MIN_MACS = 32_768;

  private Blas() {}

  /** Which kernels run the large products, for reports. */
  public static String backend() {
    return NativeBlas.AVAILABLE ? NativeBlas.status() : "Java loops";
  }

  /**
   * Whether large products round their operands to float (sgemm, the default) or stay double
   * (dgemm); process-wide, initially from {@code -Dhiformer.gemm=float|double}. No effect without
   * OpenBLAS.
   */
  public static void setFloatProducts(boolean on) {
    NativeBlas.setFloatProducts(on);
  }

  public static boolean floatProducts() {
    return NativeBlas.AVAILABLE && NativeBlas.floatProducts();
  }

  private static boolean nativeFits(int m, int n, int k, int aOff, int bOff, int cOff) {
    // A dimension below 8 (one example scored, one output) makes dgemm a slow matrix-vector
    // product.
    return NativeBlas.AVAILABLE
        && (aOff | bOff | cOff) == 0
        && (long) m * n * k >= NATIVE_MIN_MACS
        && Math.min(m, Math.min(n, k)) >= 8;
  }

  /**
   * Whether a product {@code (m×k)·(k×n)} with B already rounded to float (a weight matrix rounded
   * once per version of the weights) should run on OpenBLAS through {@link #gemmFloatB} under
   * {@code precision}. With nothing to round but A, that pays from fewer rows than {@link
   * #gemmNN}'s rule. ScoreBenchmark, DCNv2 on Criteo (640×640 cross layers) on a Xeon with AVX-512,
   * examples/s against the Java kernels: 8.3–8.6 k against 3.6 k one at a time, 16 k against 3.6 k
   * in pairs, 21–23 k against 3.9–4.0 k in fours
   * (docs/benchmarks/score-dense-float-weights-2026-12-08). On OpenBLAS's AVX2 kernels, which pack
   * even a one-row product, one row lost (2.5 k against 3.4 k) while pairs and fours won 1.3× and
   * 2.6× (one exploratory run with OPENBLAS_CORETYPE=Haswell, not kept): one row goes native only
   * where small products run direct ({@link SmallSgemm}).
   */
  public static boolean floatNative(
      Precision precision, int m, int n, int k, int aOff, int bOff, int cOff) {
    return precision.floatProducts()
        && (aOff | bOff | cOff) == 0
        && (long) m * n * k >= NATIVE_MIN_MACS
        && Math.min(n, k) >= 8
        && (m >= 2 || SmallSgemm.split());
  }

  /**
   * {@code C (m×n) = [C +] A (m×k) · op(B)} on OpenBLAS in float, where B is float already: (k×n),
   * or with {@code transB} stored (n×k), from {@code bOff} at leading dimension ldb. A and C start
   * at index 0. Only where {@link #floatNative} holds for the same shape.
   */
  public static void gemmFloatB(
      boolean transB,
      int m,
      int n,
      int k,
      double[] a,
      int lda,
      FloatGemm.Matrix b,
      int bOff,
      int ldb,
      double[] c,
      int ldc,
      boolean accumulate) {
    FloatGemm.Matrix[] s = NativeBlas.scratch();
    FloatGemm.toFloat(a, 0, lda, m, k, s[0].ensure(m * k), 0, k);
    FloatGemm.gemm(false, transB, m, n, k, s[0], 0, k, b, bOff, ldb, s[2].ensure(m * n), 0, n);
    FloatGemm.toDouble(s[2], 0, n, m, n, c, 0, ldc, accumulate);
  }

  /**
   * {@code C (m×n) = [C +] A (m×k) · B (k×n)}.
   *
   * @param accumulate when false C is overwritten, when true the product is added to C
   */
  public static void gemmNN(
      int m,
      int n,
      int k,
      double[] a,
      int aOff,
      int lda,
      double[] b,
      int bOff,
      int ldb,
      double[] c,
      int cOff,
      int ldc,
      boolean accumulate) {
    gemmNN(
        Precision.processDefault(), m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
  }

  /** As above, with the products at {@code precision}. */
  public static void gemmNN(
      Precision precision,
      int m,
      int n,
      int k,
      double[] a,
      int aOff,
      int lda,
      double[] b,
      int bOff,
      int ldb,
      double[] c,
      int cOff,
      int ldc,
      boolean accumulate) {
    if (nativeFits(m, n, k, aOff, bOff, cOff)) {
      NativeBlas.gemm(
          precision == Precision.FLOAT,
          false,
          false,
          m,
          n,
          k,
          a,
          lda,
          b,
          ldb,
          accumulate ? 1.0 : 0.0,
          c,
          ldc);
      return;
    }
    for (int i = 0; i < m; i++) {
      rowTimesMatrix(a, aOff + i * lda, 1, k, b, bOff, ldb, c, cOff + i * ldc, n, accumulate);
    }
  }

  /**
   * Row {@code c[ci, ci + n) = [c +] Σ_p a[aStart + p·aStride] · B[p, :]} over the k rows of B: the
   * kernel of {@link #gemmNN} (a row of A: stride 1) and {@link #gemmTN} (a column of A: stride
   * lda). Four rows of B per pass, so one load and store of the C row serves four multiply-adds and
   * the inner loop vectorises.
   */
  private static void rowTimesMatrix(
      double[] a,
      int aStart,
      int aStride,
      int k,
      double[] b,
      int bOff,
      int ldb,
      double[] c,
      int ci,
      int n,
      boolean accumulate) {
    if (!accumulate) {
      java.util.Arrays.fill(c, ci, ci + n, 0.0);
    }
    int p = 0;
    for (; p + 3 < k; p += 4) {
      double a0 = a[aStart + p * aStride];
      double a1 = a[aStart + (p + 1) * aStride];
      double a2 = a[aStart + (p + 2) * aStride];
      double a3 = a[aStart + (p + 3) * aStride];
      int b0 = bOff + p * ldb;
      int b1 = b0 + ldb;
      int b2 = b1 + ldb;
      int b3 = b2 + ldb;
      for (int j = 0; j < n; j++) {
        c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
      }
    }
    for (; p < k; p++) {
      double ap = a[aStart + p * aStride];
      if (ap == 0.0) {
        continue;
      }
      int bp = bOff + p * ldb;
      for (int j = 0; j < n; j++) {
        c[ci + j] += ap * b[bp + j];
      }
    }
  }

  /**
   * {@code C (m×n) = [C +] A (m×k) · Bᵀ} where B is stored as (n×k). B is transposed into a scratch
   * buffer first so that the product runs in the vectorisable row-times-matrix order of {@link
   * #gemmNN}; B is a weight matrix here (n·k ≪ m·n·k), so the copy is cheap.
   */
  public static void gemmNT(
      int m,
      int n,
      int k,
      double[] a,
      int aOff,
      int lda,
      double[] b,
      int bOff,
      int ldb,
      double[] c,
      int cOff,
      int ldc,
      boolean accumulate) {
    gemmNT(
        Precision.processDefault(), m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
  }

  /** As above, with the products at {@code precision}. */
  public static void gemmNT(
      Precision precision,
      int m,
      int n,
      int k,
      double[] a,
      int aOff,
      int lda,
      double[] b,
      int bOff,
      int ldb,
      double[] c,
      int cOff,
      int ldc,
      boolean accumulate) {
    if (nativeFits(m, n, k, aOff, bOff, cOff)) {
      NativeBlas.gemm(
          precision == Precision.FLOAT,
          false,
          true,
          m,
          n,
          k,
          a,
          lda,
          b,
          ldb,
          accumulate ? 1.0 : 0.0,
          c,
          ldc);
      return;
    }
    double[] bt = TRANSPOSED.get();
    if (bt.length < n * k) {
      bt = new double[n * k];
      TRANSPOSED.set(bt);
    }
    // bt (k×n) = Bᵀ
    for (int j = 0; j < n; j++) {
      int bj = bOff + j * ldb;
      for (int p = 0; p < k; p++) {
        bt[p * n + j] = b[bj + p];
      }
    }
    gemmNN(precision, m, n, k, a, aOff, lda, bt, 0, n, c, cOff, ldc, accumulate);
  }

  private static final ThreadLocal<double[]> TRANSPOSED =
      ThreadLocal.withInitial(() -> new double[4096]);

  /** {@code C (m×n) = [C +] Aᵀ · B} where A is stored as (k×m) and B as (k×n). */
  public static void gemmTN(
      int m,
      int n,
      int k,
      double[] a,
      int aOff,
      int lda,
      double[] b,
      int bOff,
      int ldb,
      double[] c,
      int cOff,
      int ldc,
      boolean accumulate) {
    gemmTN(
        Precision.processDefault(), m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
  }

  /** As above, with the products at {@code precision}. */
  public static void gemmTN(
      Precision precision,
      int m,
      int n,
      int k,
      double[] a,
      int aOff,
      int lda,
      double[] b,
      int bOff,
      int ldb,
      double[] c,
      int cOff,
      int ldc,
      boolean accumulate) {
    if (nativeFits(m, n, k, aOff, bOff, cOff)) {
      NativeBlas.gemm(
          precision == Precision.FLOAT,
          true,
          false,
          m,
          n,
          k,
          a,
          lda,
          b,
          ldb,
          accumulate ? 1.0 : 0.0,
          c,
          ldc);
      return;
    }
    // Row i of C stays in L1 while the k rows of B stream past: C[i,:] += Σ_p A[p,i] · B[p,:]
    for (int i = 0; i < m; i++) {
      rowTimesMatrix(a, aOff + i, lda, k, b, bOff, ldb, c, cOff + i * ldc, n, accumulate);
    }
  }

  /** Adds {@code bias (n)} to each of the m rows of C. */
  public static void addRowVector(
      int m, int n, double[] bias, int biasOff, double[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      int ci = cOff + i * ldc;
      for (int j = 0; j < n; j++) {
        c[ci + j] += bias[biasOff + j];
      }
    }
  }

  /** {@code out (n) += Σ_i rows of A (m×n)}: the gradient of a broadcast bias. */
  public static void sumRowsInto(
      int m, int n, double[] a, int aOff, int lda, double[] out, int outOff) {
    for (int i = 0; i < m; i++) {
      int ai = aOff + i * lda;
      for (int j = 0; j < n; j++) {
        out[outOff + j] += a[ai + j];
      }
    }
  }
}
