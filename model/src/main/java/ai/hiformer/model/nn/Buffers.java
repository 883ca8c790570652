package ai.hiformer.model.nn;

/** Growth of scratch buffers: a buffer is reallocated only when a larger batch arrives. */
public final class Buffers {
  private Buffers() {}

  public static double[] ensure(double[] buf, int size) {
    return buf != null && buf.length >= size ? buf : new double[size];
  }

  public static int[] ensure(int[] buf, int size) {
    return buf != null && buf.length >= size ? buf : new int[size];
  }
}
