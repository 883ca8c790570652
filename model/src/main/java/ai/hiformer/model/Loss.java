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
        sum += bceWithLogits(z, y);
        dLogits[i] = (sigmoid(z) - y) * inv;
      }
      total += sum * inv;
    }
    return total;
  }
}
