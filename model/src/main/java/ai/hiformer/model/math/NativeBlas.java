package ai.hiformer.model.math;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.openblas.global.openblas;

/**
 * OpenBLAS GEMM on Java heap arrays (JavaCPP passes them without copying), loaded once.
 * Single-threaded: parallelism comes from the stream processor's slots, not from BLAS threads.
 * When the native library cannot load, {@link #AVAILABLE} is false and callers use the Java kernels.
 *
 * <p>Precision ({@code -Dhiformer.gemm=float|double}, default float): with {@code float}, operands are
 * rounded to float and multiplied by {@code sgemm} (about twice dgemm's rate here), and the product is
 * added back in double. Weights, activations, gradients and optimiser state stay double; only the
 * large products run at the precision PyTorch trains in. {@code double} keeps every product exact to
 * double rounding (the golden and gradient-check tests run so).
 *
 * <p>The float operands live in direct (off-heap) buffers that are reused: JavaCPP hands a Java array to
 * native code through {@code Get<Type>ArrayElements}, which on HotSpot mallocs and copies the array in and
 * out on every call; a direct buffer is passed by address. The rounding to float writes straight into
 * those buffers, so the sgemm path copies each operand exactly once.
 */
final class NativeBlas {
  static final boolean AVAILABLE = load();
  // Process-wide, like the system property it starts from; tests switch it to compare the two paths.
  private static volatile boolean floatProducts =
      !"double".equalsIgnoreCase(System.getProperty("hiformer.gemm", "float"));

  private static final ThreadLocal<FloatBuffer[]> SCRATCH =
      ThreadLocal.withInitial(() -> new FloatBuffer[] {direct(0), direct(0), direct(0)});

  private NativeBlas() {}

  static boolean floatProducts() {
    return floatProducts;
  }

  static void setFloatProducts(boolean on) {
    floatProducts = on;
  }

  static String status() {
    return AVAILABLE ? "OpenBLAS 0.3.21, 1 thread, " + (floatProducts ? "sgemm" : "dgemm") : "unavailable";
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

  /** Row-major {@code C = op(A)·op(B) + beta·C}, beta ∈ {0, 1}, with all arrays starting at index 0. */
  static void gemm(boolean transA, boolean transB, int m, int n, int k, double[] a, int lda, double[] b, int ldb,
      double beta, double[] c, int ldc) {
    int ta = transA ? openblas.CblasTrans : openblas.CblasNoTrans;
    int tb = transB ? openblas.CblasTrans : openblas.CblasNoTrans;
    if (!floatProducts) {
      openblas.cblas_dgemm(openblas.CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    // Stored shapes: A is (m×k) or, transposed, (k×m); B is (k×n) or (n×k).
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    FloatBuffer[] s = SCRATCH.get();
    FloatBuffer af = s[0] = ensure(s[0], aRows * aCols);
    FloatBuffer bf = s[1] = ensure(s[1], bRows * bCols);
    FloatBuffer cf = s[2] = ensure(s[2], m * n);
    pack(a, lda, aRows, aCols, af);
    pack(b, ldb, bRows, bCols, bf);
    openblas.cblas_sgemm(openblas.CblasRowMajor, ta, tb, m, n, k, 1.0f, af, aCols, bf, bCols, 0.0f, cf, n);
    for (int i = 0; i < m; i++) {
      int ci = i * ldc;
      int fi = i * n;
      if (beta == 0.0) {
        for (int j = 0; j < n; j++) {
          c[ci + j] = cf.get(fi + j);
        }
      } else {
        for (int j = 0; j < n; j++) {
          c[ci + j] += cf.get(fi + j);
        }
      }
    }
  }

  private static void pack(double[] src, int ld, int rows, int cols, FloatBuffer dst) {
    for (int i = 0; i < rows; i++) {
      int si = i * ld;
      int di = i * cols;
      for (int j = 0; j < cols; j++) {
        dst.put(di + j, (float) src[si + j]);
      }
    }
  }

  private static FloatBuffer ensure(FloatBuffer buf, int size) {
    return buf.capacity() >= size ? buf : direct(Math.max(size, buf.capacity() + (buf.capacity() >> 1)));
  }

  private static FloatBuffer direct(int floats) {
    return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }
}
