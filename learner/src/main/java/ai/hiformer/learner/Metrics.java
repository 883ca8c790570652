package ai.hiformer.learner;

/** Binary classification metrics as docs/PROTOCOL.md §3.1 defines them. */
public final class Metrics {
  public static final double LOGLOSS_CLIP = 1e-7;

  private Metrics() {}

  /**
   * ROC AUC by the Mann–Whitney statistic, ties counted ½ (sklearn's {@code roc_auc_score}); NaN
   * when one class is absent. Considers {@code p[from..to)} and {@code y[from..to)}.
   */
  public static double auc(double[] p, double[] y, int from, int to) {
    int pos = 0;
    for (int i = from; i < to; i++) {
      if (y[i] > 0.5) {
        pos++;
      }
    }
    int neg = to - from - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    double[] ps = new double[pos];
    double[] ns = new double[neg];
    int a = 0;
    int b = 0;
    for (int i = from; i < to; i++) {
      if (y[i] > 0.5) {
        ps[a++] = p[i];
      } else {
        ns[b++] = p[i];
      }
    }
    java.util.Arrays.sort(ps);
    java.util.Arrays.sort(ns);
    // For each positive: negatives below it count 1, ties count ½ (two pointers over sorted
    // scores).
    double wins = 0;
    int below = 0;
    int belowOrEqual = 0;
    for (double s : ps) {
      while (below < neg && ns[below] < s) {
        below++;
      }
      if (belowOrEqual < below) {
        belowOrEqual = below;
      }
      while (belowOrEqual < neg && ns[belowOrEqual] <= s) {
        belowOrEqual++;
      }
      wins += below + 0.5 * (belowOrEqual - below);
    }
    return wins / ((double) pos * neg);
  }

  /** Mean of {@code -[y ln p + (1-y) ln(1-p)]} with p clipped to [1e-7, 1-1e-7]. */
  public static double logLoss(double[] p, double[] y, int from, int to) {
    double s = 0;
    for (int i = from; i < to; i++) {
      double q = Math.min(1 - LOGLOSS_CLIP, Math.max(LOGLOSS_CLIP, p[i]));
      s -= y[i] > 0.5 ? Math.log(q) : Math.log(1 - q);
    }
    return s / (to - from);
  }

  /**
   * Normalised entropy: {@link #logLoss} over the entropy of the range's positive rate ȳ, {@code
   * −[ȳ ln ȳ + (1 − ȳ) ln(1 − ȳ)]}: 1 for a model that predicts the base rate, lower is better; NaN
   * when the range holds one class only.
   */
  public static double normalisedEntropy(double[] p, double[] y, int from, int to) {
    double positives = 0;
    for (int i = from; i < to; i++) {
      positives += y[i] > 0.5 ? 1 : 0;
    }
    double rate = positives / (to - from);
    if (rate <= 0 || rate >= 1) {
      return Double.NaN;
    }
    double entropy = -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate));
    return logLoss(p, y, from, to) / entropy;
  }

  /**
   * Calibration ratio {@code Σp / Σy} over the range: 1 when the predictions add up to the
   * positives, below 1 when the model under-predicts; NaN without positives.
   */
  public static double calibration(double[] p, double[] y, int from, int to) {
    double sp = 0;
    double sy = 0;
    for (int i = from; i < to; i++) {
      sp += p[i];
      sy += y[i] > 0.5 ? 1 : 0;
    }
    return sy == 0 ? Double.NaN : sp / sy;
  }

  /**
   * The reliability curve of rows [from, to): the rows sorted by prediction and cut into {@code
   * bins} groups of (nearly) equal count, each as {@code [mean prediction, observed positive rate,
   * count]}; a calibrated model's points lie on the diagonal. Empty groups (fewer rows than bins)
   * are left out.
   */
  public static java.util.List<double[]> reliability(
      double[] p, double[] y, int from, int to, int bins) {
    Integer[] order = new Integer[to - from];
    for (int i = 0; i < order.length; i++) {
      order[i] = from + i;
    }
    java.util.Arrays.sort(order, (a, b) -> Double.compare(p[a], p[b]));
    java.util.List<double[]> out = new java.util.ArrayList<>();
    for (int b = 0; b < bins; b++) {
      int lo = (int) ((long) b * order.length / bins);
      int hi = (int) ((long) (b + 1) * order.length / bins);
      if (hi == lo) {
        continue;
      }
      double sp = 0;
      double sy = 0;
      for (int i = lo; i < hi; i++) {
        sp += p[order[i]];
        sy += y[order[i]] > 0.5 ? 1 : 0;
      }
      out.add(new double[] {sp / (hi - lo), sy / (hi - lo), hi - lo});
    }
    return out;
  }

  /** The median of {@code v} (the mean of the middle two for an even length). */
  public static double median(double[] v) {
    double[] s = v.clone();
    java.util.Arrays.sort(s);
    return (s[(s.length - 1) / 2] + s[s.length / 2]) / 2;
  }

  public static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  /** Sample standard deviation (n − 1 in the denominator); 0 for a single value. */
  public static double std(double[] v) {
    if (v.length < 2) {
      return 0;
    }
    double m = mean(v);
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m);
    }
    return Math.sqrt(s / (v.length - 1));
  }
}
