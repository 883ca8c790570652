package ai.hiformer.model;

/**
 * Summed binary log-loss over tasks, each the mean over the examples that carry that task's label
 * (docs/PROTOCOL.md §3.1: mean BCE-with-logits over the mini-batch for a single task).
 */
public final class Loss {
  private Loss() {}

  /** Numerically stable {@code -[y ln σ(z) + (1-y) ln(1-σ(z))]}. */
  public static double bceWithLogits(double z, double y) {
    return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
  }

  public static double sigmoid(double z) {
    if (z >= 0) {
      return 1.0 / (1.0 + Math.exp(-z));
    }
    double e = Math.exp(z);
    return e / (1.0 + e);
  }

  /**
   * Returns the loss and writes its gradient with respect to the logits into dLogits (B, tasks).
   * Examples without a label for a task contribute nothing to that task.
   */
  public static double lossAndGradient(Batch batch, double[] logits, double[] dLogits) {
    return lossAndGradient(batch, logits, null, dLogits);
  }

  /**
   * {@link #lossAndGradient(Batch, double[], double[])} with each labelled example's term weighted:
   * the loss of a task is {@code Σ w·bce(z, y) / n} over its n labelled examples, its gradient
   * {@code w·(σ(z) − y) / n}; the weights are constants (no gradient flows through them).
   *
   * @param weights (B, tasks), ≥ 0; null: every weight 1
   */
  public static double lossAndGradient(
      Batch batch, double[] logits, double[] weights, double[] dLogits) {
    int n = batch.size();
    int t = batch.tasks;
    double total = 0;
    for (int k = 0; k < t; k++) {
      int labelled = 0;
      for (int b = 0; b < n; b++) {
        if (batch.labelMask[b * t + k] != 0) {
          labelled++;
        }
      }
      double inv = labelled == 0 ? 0 : 1.0 / labelled;
      double sum = 0;
      for (int b = 0; b < n; b++) {
        int i = b * t + k;
        if (batch.labelMask[i] == 0) {
          dLogits[i] = 0;
          continue;
        }
        double z = logits[i];
        double y = batch.label[i];
        double w = weights == null ? 1 : weights[i];
        sum += w * bceWithLogits(z, y);
        dLogits[i] = w * (sigmoid(z) - y) * inv;
      }
      total += sum * inv;
    }
    return total;
  }

  /**
   * Fake-negative weights (Ktena et al. 2019, "FNW"), for a stream in which every example is first
   * learned as a negative and again as a positive when its label arrives: a positive is weighted
   * {@code 1 + p}, a negative {@code (1 − p)(1 + p)}, with p the model's own probability for the
   * example, so that the weighted loss is that of the true distribution. (Under fake negatives the
   * observed distribution is b(1|x) = p / (1 + p); the weights are p(y|x) / b(y|x).)
   *
   * @param probs (B, tasks) the model's probabilities, treated as constants
   * @param weights (B, tasks) written
   */
  public static void fakeNegativeWeights(Batch batch, double[] probs, double[] weights) {
    fakeNegativeWeights(batch, probs, 1, weights);
  }

  /**
   * Fake-negative weights for a stream in which an example waits a while before it is learned: a
   * positive that arrived within the wait is learned once, as a positive; otherwise the example is
   * learned as a negative and again as a positive if its label arrives later. With q the share of
   * positives that arrive after the wait, the observed distribution is b(1|x) = p / (1 + pq),
   * b(0|x) = (1 − p + pq) / (1 + pq), and the weights p(y|x) / b(y|x) are {@code 1 + pq} for a
   * positive and {@code (1 − p)(1 + pq) / (1 − p + pq)} for a negative. q = 1 (no wait) is FNW's.
   *
   * @param lateShare q ∈ [0, 1]
   */
  public static void fakeNegativeWeights(
      Batch batch, double[] probs, double lateShare, double[] weights) {
    double q = lateShare;
    for (int i = 0, e = batch.size() * batch.tasks; i < e; i++) {
      double p = probs[i];
      double pq = p * q;
      weights[i] = batch.label[i] > 0.5 ? 1 + pq : (1 - p) * (1 + pq) / (1 - p + pq);
    }
  }
}
