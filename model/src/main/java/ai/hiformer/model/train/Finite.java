package ai.hiformer.model.train;

/** The finiteness guard's test: whether gradients hold no NaN or infinity. */
final class Finite {
  private Finite() {}

  /** Whether {@code g[from .. to)} are all finite. */
  static boolean all(double[] g, int from, int to) {
    // NaN or ±Inf times zero is NaN, finite values add zero; four sums keep the adds independent.
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = from;
    for (; i + 3 < to; i += 4) {
      s0 += g[i] * 0.0;
      s1 += g[i + 1] * 0.0;
      s2 += g[i + 2] * 0.0;
      s3 += g[i + 3] * 0.0;
    }
    for (; i < to; i++) {
      s0 += g[i] * 0.0;
    }
    return !Double.isNaN(s0 + s1 + s2 + s3);
  }
}
