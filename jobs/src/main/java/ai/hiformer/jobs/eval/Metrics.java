package ai.hiformer.jobs.eval;

import java.util.Arrays;

/** Binary classification metrics as PROTOCOL.md §3.1 defines them. */
public final class Metrics {
  public static final double LOGLOSS_CLIP = 1e-7;

  private Metrics() {}

  /**
   * ROC AUC by the Mann–Whitney statistic, ties counted ½ (sklearn's {@code roc_auc_score}); NaN when
   * one class is absent. Considers {@code p[from..to)} and {@code y[from..to)}.
   */
  public static double auc(double[] p, double[] y, int from, int to) {
    int n = to - from;
    Integer[] idx = new Integer[n];
    for (int i = 0; i < n; i++) {
      idx[i] = from + i;
    }
    Arrays.sort(idx, (a, b) -> Double.compare(p[a], p[b]));
    double rankSumPos = 0;
    long pos = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && p[idx[j + 1]] == p[idx[i]]) {
        j++;
      }
      double avgRank = (i + j) / 2.0 + 1.0; // 1-based average rank of the tie group
      for (int k = i; k <= j; k++) {
        if (y[idx[k]] > 0.5) {
          rankSumPos += avgRank;
          pos++;
        }
      }
      i = j + 1;
    }
    long neg = n - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
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
