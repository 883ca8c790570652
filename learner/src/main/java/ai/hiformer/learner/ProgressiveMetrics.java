package ai.hiformer.learner;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Progressive validation metrics of one task in bounded memory, for a stream without end:
 * predictions made before training are counted in 2^14 probability bins per class, giving AUC (ties
 * within a bin count ½; the bin width bounds the error well below 1e-3) and the exact mean
 * log-loss, clipped as {@link Metrics} clips it. {@link Metrics} computes the same figures exactly
 * over stored predictions.
 */
public final class ProgressiveMetrics {
  static final int BINS = 1 << 14;
  private final long[] pos = new long[BINS];
  private final long[] neg = new long[BINS];
  private double logLossSum;
  private long count;

  /**
   * Positives that came after their example was counted as a negative (late positives learned
   * again): not in the bins, which hold each example once, but in the calibration's positives.
   */
  long latePositives;

  public void add(double p, double y) {
    int bin = (int) Math.min(BINS - 1, Math.max(0, Math.floor(p * BINS)));
    if (y > 0.5) {
      pos[bin]++;
    } else {
      neg[bin]++;
    }
    double q = Math.min(1 - Metrics.LOGLOSS_CLIP, Math.max(Metrics.LOGLOSS_CLIP, p));
    logLossSum -= y > 0.5 ? Math.log(q) : Math.log(1 - q);
    count++;
  }

  public long count() {
    return count;
  }

  /** A positive for an example already counted, as a negative, when its window closed. */
  public void addLatePositive() {
    latePositives++;
  }

  /** Late positives added ({@link #addLatePositive}). */
  public long latePositives() {
    return latePositives;
  }

  public double logLoss() {
    return count == 0 ? Double.NaN : logLossSum / count;
  }

  /**
   * Normalised entropy: {@link #logLoss} over the entropy of the positive rate seen; NaN until both
   * classes have been seen.
   */
  public double normalisedEntropy() {
    long positives = positives();
    if (positives == 0 || positives == count) {
      return Double.NaN;
    }
    double rate = (double) positives / count;
    return logLoss() / -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate));
  }

  /**
   * Calibration ratio Σp / Σy, with each prediction taken at its bin's centre (an error below 1 /
   * 2^15 per prediction) and Σy counting the late positives too; NaN until a positive has been
   * seen.
   */
  public double calibration() {
    double predicted = 0;
    for (int b = 0; b < BINS; b++) {
      predicted += (b + 0.5) / BINS * (pos[b] + neg[b]);
    }
    long positives = positives() + latePositives;
    return positives == 0 ? Double.NaN : predicted / positives;
  }

  /** Positive examples counted ({@link #add} with y > ½; late positives apart). */
  public long positives() {
    long n = 0;
    for (long p : pos) {
      n += p;
    }
    return n;
  }

  public double auc() {
    long totalPos = 0;
    long totalNeg = 0;
    double wins = 0;
    for (int b = 0; b < BINS; b++) {
      wins += pos[b] * (totalNeg + 0.5 * neg[b]);
      totalNeg += neg[b];
      totalPos += pos[b];
    }
    return totalPos == 0 || totalNeg == 0 ? Double.NaN : wins / ((double) totalPos * totalNeg);
  }

  void writeTo(DataOutputStream out) throws IOException {
    out.writeLong(count);
    out.writeDouble(logLossSum);
    int nonZero = 0;
    for (int b = 0; b < BINS; b++) {
      if (pos[b] != 0 || neg[b] != 0) {
        nonZero++;
      }
    }
    out.writeInt(nonZero);
    for (int b = 0; b < BINS; b++) {
      if (pos[b] != 0 || neg[b] != 0) {
        out.writeShort(b);
        out.writeLong(pos[b]);
        out.writeLong(neg[b]);
      }
    }
  }

  void readFrom(DataInputStream in) throws IOException {
    count = in.readLong();
    logLossSum = in.readDouble();
    java.util.Arrays.fill(pos, 0);
    java.util.Arrays.fill(neg, 0);
    for (int i = 0, n = in.readInt(); i < n; i++) {
      int b = in.readShort() & 0xffff;
      pos[b] = in.readLong();
      neg[b] = in.readLong();
    }
  }
}
