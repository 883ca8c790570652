package ai.hiformer.model.math;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.openblas.global.openblas;

/**
 * sgemm on float matrices that stay off-heap between products, for chains of large products whose
 * intermediates never need double precision (Hiformer's composite projections: E·U, then ·V, and
 * their backward). {@link Blas} rounds each operand to float per call; a chain here rounds its
 * inputs once and keeps the intermediates in float, the precision PyTorch trains in.
 *
 * <p>Used only when OpenBLAS is loaded and products run in float ({@code -Dhiformer.gemm=float},
 * the default; see {@link #enabled}). Row-major throughout; offsets and leading dimensions in
 * floats.
 */
public final class FloatGemm {
  /**
   * {@code -Dhiformer.floatChain=false} turns the chain off (for A/B benchmarks); products then
   * round per call.
   */
  private static final boolean CHAIN =
      !"false".equalsIgnoreCase(System.getProperty("hiformer.floatChain"));

  private FloatGemm() {}

  /**
   * Whether a batch of {@code rows} examples should take the float chain (native, float, rows ≥ 2;
   * one row has a kernel of its own). From two rows on it is the fastest way per row: MovieLens
   * Hiformer scored 214 k rows/s in batches of 2 and 222 k in batches of 4 on it, against 108 k one
   * row at a time and 37 k in batches of 2 to 4 on the double products it replaced below 8 rows
   * (ScoreBenchmark).
   */
  public static boolean enabled(Precision precision, int rows) {
    return precision.floatProducts() && rows >= 2 && CHAIN;
  }

  /** A reusable off-heap float matrix region; grows, never shrinks. Not thread-safe. */
  public static final class Matrix {
    private FloatBuffer buf = allocate(0);

    /** Ensures room for {@code floats} values; previous contents are lost when it grows. */
    public Matrix ensure(int floats) {
      if (buf.capacity() < floats) {
        buf = allocate(Math.max(floats, buf.capacity() + (buf.capacity() >> 1)));
      }
      return this;
    }

    FloatBuffer at(int offset) {
      buf.position(offset);
      return buf;
    }

    public float get(int i) {
      return buf.get(i);
    }

    private static FloatBuffer allocate(int floats) {
      return ByteBuffer.allocateDirect(floats * Float.BYTES)
          .order(ByteOrder.nativeOrder())
          .asFloatBuffer();
    }
  }

  /**
   * {@code C (m×n) = op(A) · op(B)} (C overwritten); A is (m×k) or, transposed, stored (k×m); B
   * likewise. A short batch may go to OpenBLAS in slices of rows (see {@link SmallSgemm}).
   */
  public static void gemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      Matrix a,
      int aOff,
      int lda,
      Matrix b,
      int bOff,
      int ldb,
      Matrix c,
      int cOff,
      int ldc) {
    int ta = transA ? openblas.CblasTrans : openblas.CblasNoTrans;
    int tb = transB ? openblas.CblasTrans : openblas.CblasNoTrans;
    int rows = transA ? m : SmallSgemm.rowsPerCall(SmallSgemm.split(), m, n, k);
    for (int r = 0; r < m; r += rows) {
      // Rows r.. of op(A): rows of A, or columns of A stored transposed.
      int aAt = aOff + (transA ? r : r * lda);
      // Three distinct buffers or views: position() is per buffer object, so aliasing would clash.
      openblas.cblas_sgemm(
          openblas.CblasRowMajor,
          ta,
          tb,
          Math.min(rows, m - r),
          n,
          k,
          1.0f,
          a.at(aAt),
          lda,
          b.at(bOff),
          ldb,
          0.0f,
          c.at(cOff + r * ldc),
          ldc);
    }
  }

  // One row in transit between double[] and an off-heap buffer: the conversion loop then runs on
  // two heap arrays with one index (which C2 vectorises) and the buffer side is a bulk copy.
  private static final ThreadLocal<float[]> STAGE = ThreadLocal.withInitial(() -> new float[1024]);

  private static float[] stage(int cols) {
    float[] s = STAGE.get();
    if (s.length < cols) {
      s = new float[cols];
      STAGE.set(s);
    }
    return s;
  }

  /**
   * Rounds the (rows×cols) block of {@code src} (leading dimension ldSrc) into {@code dst} at
   * dstOff, ldDst; values that would round to a subnormal float (magnitude below {@link
   * Float#MIN_NORMAL}, about 1.2e-38) become 0. The CPU handles subnormal operands through a slow
   * path, tens of times slower per operation: gradients that decay that far made a learner's
   * products, and so the learner, several times slower after a minute of training, while adding
   * nothing a float could hold in a sum of normal values.
   */
  public static void toFloat(
      double[] src, int srcOff, int ldSrc, int rows, int cols, Matrix dst, int dstOff, int ldDst) {
    FloatBuffer d = dst.buf;
    float[] row = stage(cols);
    for (int i = 0; i < rows; i++) {
      int s = srcOff + i * ldSrc;
      for (int j = 0; j < cols; j++) {
        float f = (float) src[s + j];
        row[j] = Math.abs(f) < Float.MIN_NORMAL ? 0f : f;
      }
      d.put(dstOff + i * ldDst, row, 0, cols);
    }
  }

  /** Writes ({@code accumulate}: adds) the (rows×cols) block of {@code src} into {@code dst}. */
  public static void toDouble(
      Matrix src,
      int srcOff,
      int ldSrc,
      int rows,
      int cols,
      double[] dst,
      int dstOff,
      int ldDst,
      boolean accumulate) {
    FloatBuffer s = src.buf;
    float[] row = stage(cols);
    for (int i = 0; i < rows; i++) {
      s.get(srcOff + i * ldSrc, row, 0, cols);
      int t = dstOff + i * ldDst;
      if (accumulate) {
        for (int j = 0; j < cols; j++) {
          dst[t + j] += row[j];
        }
      } else {
        for (int j = 0; j < cols; j++) {
          dst[t + j] = row[j];
        }
      }
    }
  }
}
