package ai.hiformer.learner;

import ai.hiformer.model.Batch;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Decides whether a new model version may reach serving: while, for every task, the AUC of the
 * model's recent predictions (the last {@code window} labelled examples, each predicted before it
 * was trained on) is at least the recent AUC recorded when the last version was published, minus
 * {@code margin}. Until a task's window is full there is not enough evidence to hold anything back,
 * so versions pass (and the first published one sets the reference).
 *
 * <p>A version held back is not written at all, neither as a snapshot nor as a delta: the rows it
 * changed stay marked, so the next version that passes carries them, and a server keeps scoring
 * with the last version that passed. Until {@link #configure} (window 0) the gate is off.
 *
 * <p>A hold lasts until the recent AUC comes back within the margin. When the data itself changed
 * so that no model reaches the old level, that is never: {@code maxHeldExamples} &gt; 0 bounds it,
 * accepting the new level (publishing, and taking its AUC as the reference) once that many labelled
 * examples were learnt since the hold began; 0 holds for as long as it takes.
 *
 * <p>What the gate has seen is state (a tagged section at the end of the runtime's state, written
 * only once the gate has seen something); its settings are configuration, so a restored section
 * waits for {@link #configure}.
 */
final class QualityGate {
  private static final int STATE_TAG = 0x47415445; // "GATE"
  private final List<String> tasks;
  private int window;
  private double margin;
  private long maxHeldExamples;
  private Consumer<String> listener = reason -> {};
  private double[][] p = new double[0][]; // (tasks)(window) ring of predictions
  private double[][] y = new double[0][]; // (tasks)(window) ring of labels
  private long[] seen = new long[0]; // labelled examples per task so far
  private double[] published =
      new double[0]; // recent AUC per task at the last publication (NaN: none yet)
  private long held;
  private long holdSince =
      -1; // labelled examples (first task) when the current hold began; -1: not holding
  private byte[] restored; // a restored section not yet applied (no configuration yet)

  QualityGate(List<String> tasks) {
    this.tasks = List.copyOf(tasks);
  }

  /**
   * Sets the policy (window 0 = off) and {@code listener}, which hears each hold's reason and each
   * new level accepted; applies a restored section written with the same window and task count
   * (otherwise starts empty).
   */
  void configure(int window, double margin, long maxHeldExamples, Consumer<String> listener) {
    if (window < 0) {
      throw new IllegalArgumentException(
          "invalid quality.window = " + window + "; allowed: >= 0 (0 = off)");
    }
    if (!(margin >= 0) || margin > 1) {
      throw new IllegalArgumentException(
          "invalid quality.auc-margin = " + margin + "; allowed: 0 .. 1");
    }
    if (maxHeldExamples < 0) {
      throw new IllegalArgumentException(
          "invalid quality.max-held-examples = "
              + maxHeldExamples
              + "; allowed: >= 0 (0 = hold for as long as it takes)");
    }
    this.window = window;
    this.margin = margin;
    this.maxHeldExamples = maxHeldExamples;
    this.listener = listener;
    p = new double[tasks.size()][window];
    y = new double[tasks.size()][window];
    seen = new long[tasks.size()];
    published = new double[tasks.size()];
    Arrays.fill(published, Double.NaN);
    if (restored != null && window > 0) {
      try {
        readFrom(new DataInputStream(new ByteArrayInputStream(restored)));
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "corrupt model runtime state: quality gate: " + e.getMessage());
      }
      restored = null;
    }
  }

  /**
   * Predictions (B, tasks) made before training on {@code batch}; labelled cells enter their task's
   * window.
   */
  void record(Batch batch, double[] probs, java.util.BitSet late) {
    if (window == 0) {
      return;
    }
    int t = batch.tasks;
    for (int b = 0; b < batch.size(); b++) {
      if (late.get(b)) {
        continue; // a late positive learned again: its example is in the window already
      }
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
   * Whether the model as it is now may be published; when it may, its recent AUC becomes the
   * reference for the next decision, and when it may not, the hold is counted and the listener
   * hears why.
   */
  boolean admit() {
    if (window == 0) {
      return true;
    }
    double[] recent = new double[tasks.size()];
    for (int k = 0; k < tasks.size(); k++) {
      recent[k] =
          seen[k] < window ? Double.NaN : Metrics.auc(p[k].clone(), y[k].clone(), 0, window);
      if (recent[k] < published[k] - margin) { // false while either is NaN
        holdSince = holdSince < 0 ? seen[0] : holdSince;
        if (maxHeldExamples > 0 && seen[0] - holdSince >= maxHeldExamples) {
          listener.accept(
              String.format(
                  "%s: accepting AUC %.4f as the new level after %,d labelled examples held"
                      + " below %.4f",
                  tasks.get(k), recent[k], seen[0] - holdSince, published[k] - margin));
          break; // published below, the reference re-based on what the model reaches now
        }
        held++;
        listener.accept(
            String.format(
                "%s: AUC %.4f over the last %,d labelled examples is below %.4f, the last"
                    + " published version's %.4f minus the margin %.4f",
                tasks.get(k), recent[k], window, published[k] - margin, published[k], margin));
        return false;
      }
    }
    holdSince = -1;
    for (int k = 0; k < tasks.size(); k++) {
      if (!Double.isNaN(recent[k])) {
        published[k] = recent[k];
      }
    }
    return true;
  }

  /** Versions held back (a metric; restored with the state). */
  long held() {
    return held;
  }

  /**
   * The optional section: nothing while the gate has seen nothing (so states without one re-encode
   * as they were).
   */
  void writeTo(DataOutputStream out) throws IOException {
    if (window == 0 || (Arrays.stream(seen).allMatch(s -> s == 0) && held == 0)) {
      if (restored != null) {
        out.write(restored); // not configured since the restore: kept as it was
      }
      return;
    }
    out.writeInt(STATE_TAG);
    out.writeInt(window);
    out.writeInt(tasks.size());
    out.writeLong(held);
    out.writeLong(holdSince);
    for (int k = 0; k < tasks.size(); k++) {
      out.writeLong(seen[k]);
      out.writeDouble(published[k]);
      for (int i = 0; i < window; i++) {
        out.writeDouble(p[k][i]);
        out.writeDouble(y[k][i]);
      }
    }
  }

  /**
   * Keeps a restored section until {@link #configure} (or applies it at once when already
   * configured).
   */
  void restore(byte[] section) throws IOException {
    restored = section;
    if (window > 0) {
      readFrom(new DataInputStream(new ByteArrayInputStream(section)));
      restored = null;
    }
  }

  private void readFrom(DataInputStream in) throws IOException {
    if (in.readInt() != STATE_TAG) {
      throw new IOException("expected the quality gate's section");
    }
    int storedWindow = in.readInt();
    int storedTasks = in.readInt();
    if (storedWindow != window || storedTasks != tasks.size()) {
      return; // written under another policy: start empty
    }
    held = in.readLong();
    holdSince = in.readLong();
    for (int k = 0; k < storedTasks; k++) {
      seen[k] = in.readLong();
      published[k] = in.readDouble();
      for (int i = 0; i < storedWindow; i++) {
        p[k][i] = in.readDouble();
        y[k][i] = in.readDouble();
      }
    }
  }
}
