package ai.hiformer.learner;

import ai.hiformer.model.Batch;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Decides whether a new model version may reach serving: while, for every task, the AUC of the model's recent
 * predictions (the last {@code window} labelled examples, each predicted before it was trained on) is at least the
 * recent AUC recorded when the last version was published, minus {@code margin}. Until a task's window is full
 * there is not enough evidence to hold anything back, so versions pass (and the first published one sets the
 * reference).
 *
 * <p>A version held back is not written at all, neither as a snapshot nor as a delta: the rows it changed stay
 * marked, so the next version that passes carries them, and a server keeps scoring with the last version that
 * passed. Window = 0 turns the gate off.
 */
final class QualityGate {
  private static final int STATE_TAG = 0x47415445; // "GATE": marks the optional section in the runtime's state
  private final int window;
  private final double margin;
  private final List<String> tasks;
  private final double[][] p;   // (tasks)(window) ring of predictions
  private final double[][] y;   // (tasks)(window) ring of labels
  private final long[] seen;    // labelled examples per task so far
  private final double[] published; // recent AUC per task when the last version was published (NaN: none yet)
  private long held;
  private String lastReason = "";
  private double[] scratchP = new double[0];
  private double[] scratchY = new double[0];

  QualityGate(List<String> tasks, int window, double margin) {
    if (window < 0) {
      throw new IllegalArgumentException("invalid quality.window = " + window + "; allowed: >= 0 (0 = off)");
    }
    if (!(margin >= 0) || margin > 1) {
      throw new IllegalArgumentException("invalid quality.auc-margin = " + margin + "; allowed: 0 .. 1");
    }
    this.window = window;
    this.margin = margin;
    this.tasks = List.copyOf(tasks);
    p = new double[tasks.size()][window];
    y = new double[tasks.size()][window];
    seen = new long[tasks.size()];
    published = new double[tasks.size()];
    Arrays.fill(published, Double.NaN);
  }

  /** Predictions (B, tasks) made before training on {@code batch}; labelled cells enter their task's window. */
  void record(Batch batch, double[] probs) {
    if (window == 0) {
      return;
    }
    int t = batch.tasks;
    for (int b = 0; b < batch.size(); b++) {
      for (int k = 0; k < t; k++) {
        int i = b * t + k;
        if (batch.labelMask[i] != 0) {
          int at = (int) (seen[k] % window);
          p[k][at] = probs[i];
          y[k][at] = batch.label[i];
          seen[k]++;
        }
      }
    }
  }

  /**
   * Whether the model as it is now may be published; when it may, its recent AUC becomes the reference for the
   * next decision, and when it may not, the hold is counted and {@link #lastReason()} says why.
   */
  boolean admit() {
    if (window == 0) {
      return true;
    }
    double[] recent = new double[tasks.size()];
    for (int k = 0; k < tasks.size(); k++) {
      recent[k] = seen[k] < window ? Double.NaN : recentAuc(k);
      if (recent[k] < published[k] - margin) { // false while either is NaN
        held++;
        lastReason = String.format("%s: AUC %.4f over the last %,d labelled examples is below %.4f, the last"
            + " published version's %.4f minus the margin %.4f", tasks.get(k), recent[k], window,
            published[k] - margin, published[k], margin);
        return false;
      }
    }
    for (int k = 0; k < tasks.size(); k++) {
      if (!Double.isNaN(recent[k])) {
        published[k] = recent[k];
      }
    }
    return true;
  }

  private double recentAuc(int k) {
    if (scratchP.length != window) {
      scratchP = new double[window];
      scratchY = new double[window];
    }
    System.arraycopy(p[k], 0, scratchP, 0, window);
    System.arraycopy(y[k], 0, scratchY, 0, window);
    return Metrics.auc(scratchP, scratchY, 0, window);
  }

  /** Versions held back since this runtime was built (a metric; restored with the state). */
  long held() {
    return held;
  }

  /** Why the last version was held back ("" if none was). */
  String lastReason() {
    return lastReason;
  }

  /** Whether this gate holds anything worth saving (an empty gate writes nothing, so old states re-encode as they were). */
  boolean isEmpty() {
    return window == 0 || (Arrays.stream(seen).allMatch(s -> s == 0) && held == 0);
  }

  void writeTo(DataOutputStream out) throws IOException {
    out.writeInt(STATE_TAG);
    out.writeInt(window);
    out.writeInt(tasks.size());
    out.writeLong(held);
    for (int k = 0; k < tasks.size(); k++) {
      out.writeLong(seen[k]);
      out.writeDouble(published[k]);
      for (int i = 0; i < window; i++) {
        out.writeDouble(p[k][i]);
        out.writeDouble(y[k][i]);
      }
    }
  }

  /** Reads {@link #writeTo}; a section written with another window or task count is dropped (the gate starts empty). */
  void readFrom(DataInputStream in) throws IOException {
    if (in.readInt() != STATE_TAG) {
      throw new IOException("expected the quality gate's section");
    }
    int storedWindow = in.readInt();
    int storedTasks = in.readInt();
    long storedHeld = in.readLong();
    boolean fits = storedWindow == window && storedTasks == tasks.size();
    for (int k = 0; k < storedTasks; k++) {
      long s = in.readLong();
      double pub = in.readDouble();
      for (int i = 0; i < storedWindow; i++) {
        double pi = in.readDouble();
        double yi = in.readDouble();
        if (fits) {
          p[k][i] = pi;
          y[k][i] = yi;
        }
      }
      if (fits) {
        seen[k] = s;
        published[k] = pub;
      }
    }
    if (fits) {
      held = storedHeld;
    }
  }
}
