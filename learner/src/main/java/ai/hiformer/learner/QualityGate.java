package ai.hiformer.learner;

import ai.hiformer.model.Batch;
import ai.hiformer.model.InputLayout;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Decides whether a new model version may reach serving by comparing it with a version served
 * before, on the same examples: when a version is published, the last {@code window} labelled
 * examples become the reference, with the AUC the model reached on them <em>before</em> it learned
 * them (the predict-then-train predictions, which ended in that version); a later version is held
 * back only if, for some task, its AUC on those same examples falls more than {@code margin} below.
 * The reference is renewed at a publication once {@code window} newer examples have come, unless
 * the model ranked them much worse than the reference (see {@link #publish}). A stream that merely
 * gets harder (new users, a campaign, noisier labels) lowers the recent AUC of every version alike
 * and holds nothing back; a model that learned something wrong (a stretch of flipped labels, a
 * broken feature) ranks the reference worse and is held. Until the first {@code window} labelled
 * examples there is no reference and versions pass.
 *
 * <p>Why the level is measured before learning: a version ranks the examples it has just learned
 * better than it will rank any others, by as much as it memorised them (0.91 against 0.50 for
 * labels that are pure noise; 0.84 against 0.57 for the generated stream on the process cluster,
 * whose ids are mostly seen once). Measured that way, the level fell as every later version learned
 * other examples, and versions that were no worse were held for good. The candidate still ranks
 * examples it has learned, so the comparison leans towards publishing by whatever it still
 * remembers of them; what the gate is for (a model that learned something wrong ranks the reference
 * far worse than chance-level forgetting) still shows. A model that moves on from old patterns (a
 * lasting change in the data) ranks them a little worse as it does; {@code maxHeldExamples} &gt; 0
 * bounds a hold, publishing (and taking a new reference) once that many labelled examples were
 * learnt since the hold began; 0 holds for as long as it takes.
 *
 * <p>A version held back is not written at all, neither as a snapshot nor as a delta: the rows it
 * changed stay marked, so the next version that passes carries them, and a server keeps scoring
 * with the last version that passed. Until {@link #configure} (window 0) the gate is off.
 *
 * <p>What the gate has seen is state (a tagged section at the end of the runtime's state: the
 * reference's rows and the model's AUC on them before it learned them, written only once there is a
 * reference; the recent examples are not kept across a restart); its settings are configuration, so
 * a restored section waits for {@link #configure}. A section of the earlier, unpaired gate is read
 * as empty.
 */
final class QualityGate {
  /** What scores the reference: the learner as it is now. */
  @FunctionalInterface
  interface Model {
    /** Probabilities (B, tasks) of {@code batch}'s rows, without training. */
    void predict(Batch batch, double[] probs);
  }

  private static final int STATE_TAG = 0x47415433; // "GAT3"
  // Sections of earlier gates, read as empty: "GATE" compared unpaired windows, "GAT2" measured the
  // served version's level after it had learned the reference.
  private static final int UNPAIRED_TAG = 0x47415445;
  private static final int IN_SAMPLE_TAG = 0x47415432;
  private static final int CHUNK = 256; // rows scored at a time

  private final List<String> tasks;
  private final InputLayout layout;
  private int window;
  private double margin;
  private long maxHeldExamples;
  private Consumer<String> listener = reason -> {};

  // The last `window` labelled examples (not late positives learned again), and the predictions
  // made for them before they were learned ((window, tasks)): a ring.
  private Batch recent;
  private double[] recentProbs;
  private int recentSize;
  private int recentNext;
  private long seen; // labelled examples recorded

  // The reference: examples recent at a publication, and the AUC per task the model reached on them
  // before learning them. Renewed at a publication once `window` new examples came since.
  private Batch reference;
  private int referenceSize; // 0: none yet
  private double[] referenceAuc = new double[0];
  private long seenAtReference;

  private long held;
  private long holdSince = -1; // `seen` when the current hold began; -1: not holding
  private byte[] restored; // a restored section not yet applied (no configuration yet)
  private Batch chunk;
  private double[] chunkProbs;

  QualityGate(List<String> tasks, InputLayout layout) {
    this.tasks = List.copyOf(tasks);
    this.layout = layout;
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
    int t = tasks.size();
    recent = window == 0 ? null : layout.newBatch(window, t);
    recentProbs = new double[window * t];
    reference = window == 0 ? null : layout.newBatch(window, t);
    recentSize = 0;
    recentNext = 0;
    referenceSize = 0;
    referenceAuc = new double[t];
    chunk = window == 0 ? null : layout.newBatch(Math.min(CHUNK, window), t);
    chunkProbs = new double[Math.min(CHUNK, window) * t];
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
   * The rows of {@code batch} just trained on, with {@code probs} (B, tasks) predicted for them
   * before the step; those with a label enter the recent examples, except the rows in {@code late}
   * (late positives learned again, whose example is in already).
   */
  void record(Batch batch, double[] probs, java.util.BitSet late) {
    if (window == 0) {
      return;
    }
    int t = batch.tasks;
    for (int b = 0; b < batch.size(); b++) {
      if (late.get(b) || !labelled(batch, b, t)) {
        continue;
      }
      recent.copyRow(batch, b, recentNext);
      System.arraycopy(probs, b * t, recentProbs, recentNext * t, t);
      recentNext = (recentNext + 1) % window;
      recentSize = Math.min(recentSize + 1, window);
      seen++;
    }
  }

  private static boolean labelled(Batch batch, int b, int t) {
    for (int k = 0; k < t; k++) {
      if (batch.labelMask[b * t + k] != 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code model} as it is now may be published; when it may, the recent examples and its
   * predictions on them become the reference for the next decision, and when it may not, the hold
   * is counted and the listener hears why.
   */
  boolean admit(Model model) {
    if (window == 0) {
      return true;
    }
    if (referenceSize == 0) {
      publish(false);
      return true; // nothing served to compare with
    }
    double[] candidate = new double[referenceSize * tasks.size()];
    score(model, reference, referenceSize, candidate);
    for (int k = 0; k < tasks.size(); k++) {
      double auc = auc(reference, referenceSize, candidate, k);
      if (auc < referenceAuc[k] - margin) { // false while either is NaN
        holdSince = holdSince < 0 ? seen : holdSince;
        if (maxHeldExamples > 0 && seen - holdSince >= maxHeldExamples) {
          listener.accept(
              String.format(
                  "%s: accepting AUC %.4f on the served version's reference (%.4f before it was"
                      + " learned) as the new level after %,d labelled examples held",
                  tasks.get(k), auc, referenceAuc[k], seen - holdSince));
          publish(true);
          return true;
        }
        held++;
        listener.accept(
            String.format(
                "%s: AUC %.4f on the %,d examples of the served version's reference is below"
                    + " %.4f, the model's %.4f on them before it learned them minus the margin"
                    + " %.4f",
                tasks.get(k),
                auc,
                referenceSize,
                referenceAuc[k] - margin,
                referenceAuc[k],
                margin));
        return false;
      }
    }
    publish(false);
    return true;
  }

  /**
   * A version is published. The recent examples, with the AUC the model reached on them before it
   * learned them, become the reference when there is none, or when {@code anew}, or when {@code
   * window} examples came since the last one was taken and that AUC is within the margin of the
   * reference's level: never onto a stretch ranked much worse (the start of a bad stretch whose
   * first step stayed within the margin, or data that got harder), which would lower the measure of
   * the next versions. Needs a full window of recent examples.
   */
  private void publish(boolean anew) {
    holdSince = -1;
    boolean due = referenceSize == 0 || anew || seen - seenAtReference >= window;
    if (!due || recentSize < window) {
      return;
    }
    double[] level = new double[tasks.size()];
    for (int k = 0; k < tasks.size(); k++) {
      level[k] = auc(recent, window, recentProbs, k);
      if (referenceSize > 0 && !anew && level[k] < referenceAuc[k] - margin) {
        return; // keep the reference
      }
    }
    for (int i = 0; i < window; i++) {
      reference.copyRow(recent, i, i);
    }
    reference.setSize(window);
    referenceSize = window;
    seenAtReference = seen;
    referenceAuc = level;
  }

  /**
   * Writes {@code model}'s probabilities of {@code rows}' first {@code n} rows, a chunk at a time.
   */
  private void score(Model model, Batch rows, int n, double[] out) {
    int t = tasks.size();
    for (int from = 0; from < n; from += chunk.capacity) {
      int m = Math.min(chunk.capacity, n - from);
      for (int i = 0; i < m; i++) {
        chunk.copyRow(rows, from + i, i);
      }
      chunk.setSize(m);
      model.predict(chunk, chunkProbs);
      System.arraycopy(chunkProbs, 0, out, from * t, m * t);
    }
  }

  /** AUC of {@code probs} against the labels of task k of {@code rows}' first {@code size} rows. */
  private double auc(Batch rows, int size, double[] probs, int k) {
    int t = tasks.size();
    double[] p = new double[size];
    double[] y = new double[size];
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (rows.labelMask[i * t + k] != 0) {
        p[n] = probs[i * t + k];
        y[n] = rows.label[i * t + k];
        n++;
      }
    }
    return Metrics.auc(p, y, 0, n);
  }

  /** Versions held back (a metric; restored with the state). */
  long held() {
    return held;
  }

  /**
   * The optional section: nothing until there is a reference or a hold (so states without one
   * re-encode as they were).
   */
  void writeTo(DataOutputStream out) throws IOException {
    if (window == 0 || (referenceSize == 0 && held == 0)) {
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
    out.writeLong(seen);
    out.writeLong(seenAtReference);
    out.writeInt(referenceSize);
    for (int i = 0; i < referenceSize; i++) {
      reference.writeRow(out, i);
    }
    for (double a : referenceAuc) {
      out.writeDouble(a);
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
    int tag = in.readInt();
    if (tag == UNPAIRED_TAG || tag == IN_SAMPLE_TAG) {
      return; // an earlier gate's measure: start empty
    }
    if (tag != STATE_TAG) {
      throw new IOException("expected the quality gate's section");
    }
    int storedWindow = in.readInt();
    int storedTasks = in.readInt();
    if (storedWindow != window || storedTasks != tasks.size()) {
      return; // written under another policy: start empty
    }
    held = in.readLong();
    holdSince = in.readLong();
    seen = in.readLong();
    seenAtReference = in.readLong();
    referenceSize = in.readInt();
    for (int i = 0; i < referenceSize; i++) {
      reference.readRow(in, i);
    }
    reference.setSize(referenceSize);
    for (int k = 0; k < storedTasks; k++) {
      referenceAuc[k] = in.readDouble();
    }
  }
}
