package ai.hiformer.model.train;

import ai.hiformer.model.Batch;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.Loss;
import ai.hiformer.model.nn.Buffers;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.Adam;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.optim.SparseAdagrad;
import java.util.Arrays;

/**
 * Wires a model to its two optimisers: predict-then-train on one micro-batch (docs/PROTOCOL.md
 * §3.2). One step = forward, loss and gradient, backward, a finiteness guard, Adam on the dense
 * parameters and sparse Adagrad on the touched embedding rows.
 *
 * <p>The guard: when the loss or any gradient is NaN or infinite the step is skipped whole (no
 * weight or optimiser state changes) and counted in {@link #skippedSteps()}, so numerical trouble
 * never reaches the model.
 *
 * <p>With {@link #threads(int) K > 1 threads} the forward and backward passes of a step are split
 * over K workers ({@link DataParallelStep}) and their gradients reduced before the one optimiser
 * step; the result equals one thread's up to the order of floating-point additions. A learner with
 * threads must be {@link #close() closed}.
 */
public final class Learner implements AutoCloseable {
  private final CtrModel model;
  private final Adam adam;
  private final SparseAdagrad adagrad;
  // Arrays, not lists: the per-step loops must not allocate iterators.
  private final Param[] params;
  private final EmbeddingTable[] tables;
  private double[] logits;
  private double[] dLogits;
  private double[] weights;
  private LabelPolicy labels = LabelPolicy.PLAIN;
  private long steps;
  private long skippedSteps;
  private double lastLoss = Double.NaN;
  private DataParallelStep parallel; // null: one thread
  private StepTap tap = batch -> {};

  /**
   * Hears of every step the guard lets through, after the backward pass and before the optimiser
   * update: the dense gradients of the step's loss (a mean over its labelled examples) are then in
   * the parameters' {@link Param#grad()} arrays.
   */
  @FunctionalInterface
  public interface StepTap {
    void beforeUpdate(Batch batch);
  }

  public Learner(CtrModel model, OptimizerConfig opt) {
    this.model = model;
    this.adam =
        new Adam(model.params().all(), opt.denseLr(), opt.beta1(), opt.beta2(), opt.adamEps());
    this.adagrad = new SparseAdagrad(opt.embeddingLr(), opt.adagradEps());
    this.params = model.params().all().toArray(new Param[0]);
    this.tables = model.tables().toArray(new EmbeddingTable[0]);
  }

  public CtrModel model() {
    return model;
  }

  /** How the labels learned from relate to the truth ({@link LabelPolicy#PLAIN} by default). */
  public void labelPolicy(LabelPolicy policy) {
    this.labels = java.util.Objects.requireNonNull(policy);
  }

  public LabelPolicy labelPolicy() {
    return labels;
  }

  /**
   * Splits each step's forward and backward passes over {@code k} threads (1: the calling thread
   * alone), replacing any threads set before.
   *
   * @throws IllegalArgumentException when k < 1, or k > 1 for a model that learns on one thread (a
   *     blend)
   */
  public void threads(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("invalid learn.threads = " + k + "; allowed: >= 1");
    }
    if (parallel != null && parallel.threads() == k) {
      return;
    }
    close();
    if (k > 1) {
      try {
        parallel = new DataParallelStep(model, k);
      } catch (UnsupportedOperationException e) {
        throw new IllegalArgumentException(
            "invalid learn.threads = " + k + " for this model; allowed: 1 (" + e.getMessage() + ")",
            e);
      }
    }
  }

  /** The threads a step runs on. */
  public int threads() {
    return parallel == null ? 1 : parallel.threads();
  }

  /** Stops the threads of {@link #threads(int)} (the learner then runs on the caller's alone). */
  @Override
  public void close() {
    if (parallel != null) {
      parallel.close();
      parallel = null;
    }
  }

  public Adam adam() {
    return adam;
  }

  public SparseAdagrad adagrad() {
    return adagrad;
  }

  /** Replaces the {@link StepTap} (one at a time; none by default). */
  public void stepTap(StepTap tap) {
    this.tap = java.util.Objects.requireNonNull(tap);
  }

  /**
   * Writes the probabilities (B, tasks) into probs without training: σ(logit) as the {@link
   * #labelPolicy} reports it.
   */
  public void predict(Batch batch, double[] probs) {
    int n = batch.size() * batch.tasks;
    logits = Buffers.ensure(logits, n);
    if (parallel != null) {
      parallel.forward(batch, logits, false);
    } else {
      model.forward(batch, logits);
    }
    // A model that has not stepped yet still starts where the stream's logits start (see the first
    // step's shift in predictThenTrain), whatever the sampling.
    double untrained = steps == 0 && skippedSteps == 0 ? -labels.trainingLogitShift() : 0;
    for (int i = 0; i < n; i++) {
      probs[i] = labels.report(Loss.sigmoid(logits[i] + untrained));
    }
  }

  /**
   * Predicts the batch with the current weights (probs (B, tasks), written before any update), then
   * takes one optimiser step on the same forward pass.
   *
   * @return true when the step was applied, false when the finiteness guard skipped it
   */
  public boolean predictThenTrain(Batch batch, double[] probs) {
    int n = batch.size() * batch.tasks;
    logits = Buffers.ensure(logits, n);
    dLogits = Buffers.ensure(dLogits, n);
    boolean centre = steps == 0 && model.config().centreFirstLogits();
    if (!centre && steps == 0 && skippedSteps == 0 && labels.trainingLogitShift() != 0) {
      // A new model's first step: start where the stream's logits start, as centring does below
      // (once: the step is counted as applied or skipped, so a restored learner never repeats it).
      shiftOutputs(-labels.trainingLogitShift(), batch.tasks);
    }
    trainingForward(batch);
    if (centre) {
      // Reads features only: the predictions written below are still made before the batch's labels
      // are used.
      // Runs until the first step is applied (a skipped first step centres again). Centring reads
      // the logits alone (a blend, which reads its members', has no shards), so the shards' first
      // forward serves it, and the second forward, on the shifted weights, is the step's.
      model.centreLogits(batch.size(), logits);
      // Centred where the loss reads them (see the shift below): the true rate's logits lower.
      shiftOutputs(-labels.trainingLogitShift(), batch.tasks);
      model.params().weightsChanged();
      trainingForward(batch);
    }
    for (int i = 0; i < n; i++) {
      probs[i] = labels.report(Loss.sigmoid(logits[i]));
    }
    double[] w = null;
    if (labels.delayedLoss() == LabelPolicy.DelayedLoss.FNW) {
      // With FNW the reported probability is the sampling-corrected one the weights need.
      w = weights = Buffers.ensure(weights, n);
      Loss.fakeNegativeWeights(batch, probs, labels.lateShare(), w);
    }
    double shift = labels.trainingLogitShift();
    if (shift != 0) {
      // The stream's negatives were sampled: the loss reads the stream's logits (LabelPolicy).
      for (int i = 0; i < n; i++) {
        logits[i] += shift;
      }
    }
    double loss = Loss.lossAndGradient(batch, logits, w, dLogits);
    lastLoss = loss;
    if (!Double.isFinite(loss)) {
      return skip();
    }
    if (parallel != null) {
      // the reduction checks finiteness on the way
      if (!parallel.backward(dLogits)) {
        return skip();
      }
      tap.beforeUpdate(batch);
      parallel.applyOptimisers(adam, adagrad);
    } else {
      model.backward(batch, dLogits);
      if (!gradientsFinite()) {
        return skip();
      }
      tap.beforeUpdate(batch);
      adam.apply();
      for (EmbeddingTable t : tables) {
        adagrad.apply(t);
      }
    }
    model.params().weightsChanged();
    steps++;
    return true;
  }

  /** A training forward pass into {@link #logits}, gradients cleared, over the shards if any. */
  private void trainingForward(Batch batch) {
    if (parallel != null) {
      parallel.forward(batch, logits, true);
    } else {
      model.params().zeroGrads();
      model.forward(batch, logits);
    }
  }

  private void shiftOutputs(double by, int tasks) {
    if (by != 0) {
      double[] delta = new double[tasks];
      Arrays.fill(delta, by);
      model.shiftLogits(delta);
      model.params().weightsChanged();
    }
  }

  private boolean skip() {
    for (EmbeddingTable t : tables) {
      t.clearTouched();
    }
    skippedSteps++;
    return false;
  }

  private boolean gradientsFinite() {
    for (Param p : params) {
      if (!Finite.all(p.grad(), 0, p.size())) {
        return false;
      }
    }
    for (EmbeddingTable t : tables) {
      if (!Finite.all(t.grads(), 0, t.touchedCount() * t.dim())) {
        return false;
      }
    }
    return true;
  }

  /** Restores the step counters of a learner rebuilt from state. */
  public void restoreCounters(long steps, long skippedSteps) {
    this.steps = steps;
    this.skippedSteps = skippedSteps;
  }

  public long steps() {
    return steps;
  }

  public long skippedSteps() {
    return skippedSteps;
  }

  public double lastLoss() {
    return lastLoss;
  }
}
