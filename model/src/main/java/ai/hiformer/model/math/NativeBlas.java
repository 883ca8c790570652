package ai.hiformer.model.math;

import org.bytedeco.openblas.global.openblas;

/**
 * OpenBLAS GEMM on Java heap arrays, loaded once. Single-threaded: parallelism comes from the
 * stream processor's slots, not from BLAS threads. When the native library cannot load, {@link
 * #AVAILABLE} is false and callers use the Java kernels.
 *
 * <p>Precision ({@code -Dhiformer.gemm=float|double}, default float): with {@code float}, operands
 * are rounded to float and multiplied by {@code sgemm} (about twice dgemm's rate here), and the
 * product is added back in double. Weights, activations, gradients and optimiser state stay double;
 * only the large products run at the precision PyTorch trains in. {@code double} keeps every
 * product exact to double rounding (the golden and gradient-check tests run so).
 *
 * <p>The float operands live in reused off-heap {@link FloatGemm.Matrix} buffers: JavaCPP hands a
 * Java array to native code through {@code Get<Type>ArrayElements}, which on HotSpot mallocs and
 * copies the array in and out on every call; a direct buffer is passed by address. The rounding to
 * float writes into those buffers, so the sgemm path copies each operand once.
 */
final class NativeBlas {
  static final boolean AVAILABLE = load();
  // Process-wide, like the system property it starts from; tests switch it to compare the two
  // paths.
  private static volatile boolean floatProducts =
      !"double".equalsIgnoreCase(System.getProperty("hiformer.gemm", "float"));

  private static final ThreadLocal<FloatGemm.Matrix[]> SCRATCH =
      ThreadLocal.withInitial(
          () ->
              new FloatGemm.Matrix[] {
                new FloatGemm.Matrix(), new FloatGemm.Matrix(), new FloatGemm.Matrix()
              });

  private NativeBlas() {}

  static boolean floatProducts() {
    return floatProducts;
  }

  static void setFloatProducts(boolean on) {
    floatProducts = on;
  }

  static String status() {
    return AVAILABLE
        ? "OpenBLAS 0.3.21, 1 thread, " + (floatProducts ? "sgemm" : "dgemm")
        : "unavailable";
  }

  private static boolean load() {
    if ("java".equalsIgnoreCase(System.getProperty("hiformer.blas", ""))) {
      return false;
    }
    try {
      openblas.blas_set_num_threads(1);
      return true;
    } catch (Throwable t) {
      System.err.println("hiformer: native BLAS unavailable (" + t + "); using Java kernels");
      return false;
    }
  }

  /**
   * Row-major {@code C = op(A)·op(B) + beta·C}, beta ∈ {0, 1}, with all arrays starting at index 0.
   */
  static void gemm(
      boolean floatProducts,
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      double[] a,
      int lda,
      double[] b,
      int ldb,
      double beta,
      double[] c,
      int ldc) {
    int ta = transA ? openblas.CblasTrans : openblas.CblasNoTrans;
    int tb = transB ? openblas.CblasTrans : openblas.CblasNoTrans;
    if (!floatProducts) {
      openblas.cblas_dgemm(
          openblas.CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    // Stored shapes: A is (m×k) or, transposed, (k×m); B is (k×n) or (n×k).
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    FloatGemm.Matrix[] s = SCRATCH.get();
    FloatGemm.toFloat(a, 0, lda, aRows, aCols, s[0].ensure(aRows * aCols), 0, aCols);
    FloatGemm.toFloat(b, 0, ldb, bRows, bCols, s[1].ensure(bRows * bCols), 0, bCols);
    FloatGemm.gemm(
        transA, transB, m, n, k, s[0], 0, aCols, s[1], 0, bCols, s[2].ensure(m * n), 0, n);
    FloatGemm.toDouble(s[2], 0, n, m, n, c, 0, ldc, beta != 0.0);
  }

  /** This thread's three float staging matrices: A, B and C of a product. */
  static FloatGemm.Matrix[] scratch() {
    return SCRATCH.get();
  }
}
