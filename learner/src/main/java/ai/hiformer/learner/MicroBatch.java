package ai.hiformer.learner;

import ai.hiformer.model.Batch;
import ai.hiformer.model.train.Learner;

/**
 * The one predict-then-train of the codebase, used by the streaming job's {@link ModelRuntime} and
 * by the evaluation protocol alike: labelled rows gather in a micro-batch; a step predicts every
 * row with the current weights, then trains on them (the same forward pass), and hands the
 * predictions to a listener before the batch is reused. Those predictions were made before the
 * rows' labels were learned, which is what progressive validation measures.
 *
 * <p>Buffers are allocated once: {@code pending} (capacity rows) and the predictions (capacity ×
 * tasks). Not thread-safe.
 */
public final class MicroBatch {
  /** Receives each step's rows and predictions; valid only during the call. */
  @FunctionalInterface
  public interface Listener {
    /**
     * @param batch the rows trained on (labels and label masks included), {@code batch.size()} of
     *     them
     * @param probs the probability per row and task predicted before the step, (size, tasks)
     *     row-major
     */
    void trained(Batch batch, double[] probs);
  }

  private final Learner learner;
  private final Batch pending;
  private final double[] probs;
  private final Listener listener;
  private double lastTrainMillis;

  public MicroBatch(Learner learner, Batch pending, Listener listener) {
    this.learner = learner;
    this.pending = pending;
    this.probs = new double[pending.capacity * pending.tasks];
    this.listener = listener;
  }

  /**
   * Copies row {@code row} of {@code src} (same layout, labels included) to the end; returns its
   * index.
   */
  public int append(Batch src, int row) {
    if (isFull()) {
      throw new IllegalStateException("micro-batch full: train before appending");
    }
    int b = pending.size();
    pending.setSize(b + 1);
    pending.copyRow(src, row, b);
    return b;
  }

  public boolean isFull() {
    return pending.size() == pending.capacity;
  }

  /** Rows waiting for the next step. */
  public int size() {
    return pending.size();
  }

  /** The pending rows (for labels written after {@link #append} and for state codecs). */
  public Batch pending() {
    return pending;
  }

  /**
   * Predict-then-train on the pending rows, if any; returns whether a step ran (applied or
   * skipped).
   */
  public boolean train() {
    if (pending.size() == 0) {
      return false;
    }
    long t0 = System.nanoTime();
    learner.predictThenTrain(pending, probs);
    lastTrainMillis = (System.nanoTime() - t0) / 1e6;
    listener.trained(pending, probs);
    pending.setSize(0);
    return true;
  }

  /** Wall time of the last step, in milliseconds. */
  public double lastTrainMillis() {
    return lastTrainMillis;
  }
}
