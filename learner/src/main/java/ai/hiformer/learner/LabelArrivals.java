package ai.hiformer.learner;

import ai.hiformer.features.spec.TaskSpec;
import ai.hiformer.model.train.LabelPolicy;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * What a runtime knows of how its labels arrived ({@link Arrival}), and the label policy that
 * follows for each step: which negatives the sampling keeps ({@link NegativeSampling}), the
 * positives learned and the late ones among them (the late share of the fake-negative weights), and
 * which rows of the micro-batch are joined or late positives learned again.
 *
 * <p>Configuration ({@link #configure}) is not state; the counts and the micro-batch's marks are
 * (an optional "LATE" section of the runtime's state, {@link #writeTo}). Not thread-safe.
 */
final class LabelArrivals {
  /** The optional state section of the positives learned and the late ones among them ("LATE"). */
  static final int STATE_TAG = 0x4C415445;

  private double negativeKeep = 1;
  private boolean latePositivesLearned;
  private long positivesLearned;
  private long latePositives;
  // Joined examples in the micro-batch: a step weighs by the fake-negative weights only if it
  // holds some (labels that came inline with their event never waited).
  private int joinedPending;
  // The micro-batch's rows that are late positives learned again (not counted twice by the metrics
  // and the quality gate).
  private final BitSet latePending = new BitSet();

  /**
   * Sets the sampling rate and whether late positives are learned; returns the learner's policy.
   */
  LabelPolicy configure(double negativeKeep, boolean latePositivesLearned) {
    this.negativeKeep = negativeKeep;
    this.latePositivesLearned = latePositivesLearned;
    return policy(latePositivesLearned);
  }

  /**
   * The share of positives that arrived after their window, as counted so far: a Laplace estimate,
   * ½ before any positive.
   */
  double lateShare() {
    return (latePositives + 1.0) / (positivesLearned + 2.0);
  }

  /**
   * The tasks learned of an example, as bits: those with a label, a negative only if the sampling
   * keeps it ({@code requestId} null: every one).
   */
  long learnedTasks(Map<String, Double> labels, List<TaskSpec> tasks, String requestId) {
    long learned = 0;
    for (int k = 0; k < tasks.size(); k++) {
      Double y = labels.get(tasks.get(k).name());
      if (y != null
          && (y > 0.5 || requestId == null || NegativeSampling.keeps(requestId, k, negativeKeep))) {
        learned |= 1L << k;
      }
    }
    return learned;
  }

  /**
   * Row {@code row} of the micro-batch arrived as {@code arrival}, with {@code positives} of them.
   */
  void appended(int row, Arrival arrival, int positives) {
    joinedPending += arrival == Arrival.INLINE ? 0 : 1;
    positivesLearned += positives;
    if (arrival == Arrival.LATE_POSITIVE) {
      latePositives += positives;
      latePending.set(row);
    }
  }

  /** The policy for the step about to run on the micro-batch, or null when it is unchanged. */
  LabelPolicy policyForStep() {
    return latePositivesLearned ? policy(joinedPending > 0) : null;
  }

  /**
   * The micro-batch's rows that are late positives learned again (valid until {@link #stepped}).
   */
  BitSet lateRows() {
    return latePending;
  }

  /** The micro-batch was trained on (or dropped): its marks go. */
  void stepped() {
    joinedPending = 0;
    latePending.clear();
  }

  private LabelPolicy policy(boolean waited) {
    // Joined examples waited for their labels: weighed for it; inline labels never waited.
    return new LabelPolicy(
        waited ? LabelPolicy.DelayedLoss.FNW : LabelPolicy.DelayedLoss.NONE,
        negativeKeep,
        lateShare());
  }

  /**
   * The optional section, with each task's late positives of {@code metrics}: nothing while no
   * positive was counted (older states re-encode as they were).
   */
  void writeTo(DataOutputStream out, RuntimeMetrics metrics, int tasks) throws IOException {
    if (positivesLearned == 0 && joinedPending == 0) {
      return;
    }
    out.writeInt(STATE_TAG);
    out.writeLong(positivesLearned);
    out.writeLong(latePositives);
    out.writeInt(joinedPending);
    long[] rows = latePending.toLongArray();
    out.writeInt(rows.length);
    for (long w : rows) {
      out.writeLong(w);
    }
    for (int k = 0; k < tasks; k++) {
      out.writeLong(metrics.task(k).latePositives);
    }
  }

  /** Reads the section {@link #writeTo} wrote, its tag already read. */
  void readFrom(DataInputStream in, RuntimeMetrics metrics, int tasks) throws IOException {
    positivesLearned = in.readLong();
    latePositives = in.readLong();
    joinedPending = in.readInt();
    long[] rows = new long[in.readInt()];
    for (int w = 0; w < rows.length; w++) {
      rows[w] = in.readLong();
    }
    latePending.clear();
    latePending.or(BitSet.valueOf(rows));
    for (int k = 0; k < tasks; k++) {
      metrics.task(k).latePositives = in.readLong();
    }
  }
}
