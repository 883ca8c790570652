package ai.hiformer.model.math;

import org.bytedeco.openblas.global.openblas;

/**
 * OpenBLAS {@code cblas_dgemm} on Java heap arrays (JavaCPP passes them without copying), loaded
 * once. Single-threaded: parallelism comes from the stream processor's slots, not from BLAS threads.
 * When the native library cannot load, {@link #AVAILABLE} is false and callers use the Java kernels.
 */
final class NativeBlas {
  static final boolean AVAILABLE = load();
  static final String STATUS;

  static {
    STATUS = AVAILABLE ? "OpenBLAS " + openblasVersion() : "unavailable";
  }

  private NativeBlas() {}

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

  private static String openblasVersion() {
    return "0.3.21 (1 thread)";
  }

  /** Row-major {@code C = alpha·op(A)·op(B) + beta·C} with all arrays starting at index 0. */
  static void dgemm(boolean transA, boolean transB, int m, int n, int k, double[] a, int lda, double[] b, int ldb,
      double beta, double[] c, int ldc) {
    openblas.cblas_dgemm(openblas.CblasRowMajor, transA ? openblas.CblasTrans : openblas.CblasNoTrans,
        transB ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
  }
}
