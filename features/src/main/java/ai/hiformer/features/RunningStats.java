package ai.hiformer.features;

/** Welford's running mean and variance, for the online z-score (part of the encoder's state). */
final class RunningStats {
  long count;
  double mean;
  double m2;

  /**
   * z of v against the statistics of the values before it (0 until two values were seen, or if not
   * finite).
   */
  double zscore(double v) {
    if (count < 2) {
      return 0.0;
    }
    double std = Math.sqrt(m2 / count);
    double z = std > 0 ? (v - mean) / std : 0.0;
    return Double.isFinite(z) ? z : 0.0;
  }

  /**
   * Adds v, unless it or the update would not be finite (a value near ±Double.MAX_VALUE overflows
   * the running sums): such a value is left out, so one extreme input cannot poison the statistics
   * for good.
   */
  void add(double v) {
    long n = count + 1;
    double delta = v - mean;
    double newMean = mean + delta / n;
    double newM2 = m2 + delta * (v - newMean);
    if (!Double.isFinite(v)
        || !Double.isFinite(delta)
        || !Double.isFinite(newMean)
        || !Double.isFinite(newM2)) {
      return;
    }
    count = n;
    mean = newMean;
    m2 = newM2;
  }
}
