package ai.hiformer.learner;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.Batch;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.Models;

/**
 * A read-only copy of one model id's model for scoring, kept current by the learner's {@link
 * ModelUpdate}s: it never trains and never hands out ids (a value the learner has not published yet
 * scores with the out-of-vocabulary row). It starts at the first full update it is given, or
 * assembles its model from a base spread over several updates (slice 0, then every increment and
 * the slices 1 … count−1 in order; it scores once the last slice is in), and then takes each
 * incremental update of the same epoch in sequence; a full update of a newer epoch (the learner
 * restored) is applied over everything. Not thread-safe: one per scoring thread.
 */
public final class ScoringReplica {
  /**
   * The fewest rows worth waiting for: a batched pass of 4 costs about half as much per row as 4
   * one at a time (MovieLens Hiformer, JMH: 108 k rows/s one at a time, 214 k in batches of 2, 222
   * k of 4, 233 k of 8), so a scorer stages events while they arrive fast enough to fill one.
   */
  public static final int MIN_BATCH = 4;

  private final FeatureEncoder encoder;
  private final CtrModel model;
  private final Batch one;
  private final double[] probs;
  private final double[] logits;
  private final ReplicaPosition position = new ReplicaPosition();
  private Batch staged; // rows encoded for scoreStaged, made at the first stage()
  private double[] stagedLogits;
  private double[] stagedProbs;

  public ScoringReplica(FeatureSpec spec, ModelConfig config) {
    this.encoder = new FeatureEncoder(spec, null);
    this.model =
        Models.create(config.toBuilder().tasks(spec.tasks().size()).build(), spec.layout());
    for (ai.hiformer.model.nn.EmbeddingTable t : model.tables()) {
      t.dropOptimizerState(); // it never trains: half the rows' memory
    }
    this.one = spec.layout().newBatch(1, spec.tasks().size());
    this.probs = new double[spec.tasks().size()];
    this.logits = new double[spec.tasks().size()];
  }

  /**
   * Whether a replica can start from {@code update} ({@link #startingFrom}): a full update or a
   * base's first slice.
   */
  public static boolean canStartFrom(ModelUpdate update) {
    return update.specJson() != null
        && (update.full() || (update.slice() && update.sliceIndex() == 0));
  }

  /**
   * A replica built from nothing but a full update or a base's first slice (its spec and model
   * configuration travel with it) and brought to it; from a slice it is {@link #ready()} once the
   * base's other slices are in.
   *
   * @throws IllegalArgumentException if {@code update} is neither a full update nor a first slice
   *     that names its spec and configuration
   */
  public static ScoringReplica startingFrom(ModelUpdate update) {
    if (!canStartFrom(update)) {
      throw new IllegalArgumentException(
          "a replica starts from a full update or a base's first slice that carries"
              + " its spec and model configuration (this is "
              + (update.full()
                  ? "a full update of HFU1"
                  : update.slice()
                      ? "slice " + update.sliceIndex() + " of " + update.sliceCount()
                      : "an increment")
              + ")");
    }
    ScoringReplica r =
        new ScoringReplica(
            FeatureSpec.parse(update.specJson()), ModelConfig.fromProperties(update.modelConfig()));
    r.apply(update);
    return r;
  }

  /**
   * The replica's model: for readers that score it themselves (read-only replicas of it), never to
   * train.
   */
  public CtrModel model() {
    return model;
  }

  /** The replica's encoder (read-only use: {@link FeatureEncoder#readOnlyView()}). */
  public FeatureEncoder encoder() {
    return encoder;
  }

  public long epoch() {
    return position.epoch();
  }

  public long sequence() {
    return position.sequence();
  }

  /**
   * Applies {@code update} if this replica takes it ({@link ReplicaPosition#takes}: next in
   * sequence in the same epoch, a newer full update, or the base slice its assembly needs); returns
   * whether it was applied. Ignored updates change nothing.
   */
  public boolean apply(ModelUpdate update) {
    if (!position.takes(update)) {
      return false;
    }
    update.applyTo(model, encoder);
    position.moveTo(update);
    return true;
  }

  /**
   * Whether it has a whole model: a full update, or every slice of a base, has been applied (before
   * that, {@link #score} refuses).
   */
  public boolean ready() {
    return position.whole();
  }

  /** The model version scores are made with (-1 before the first full update). */
  public long version() {
    return position.version();
  }

  /**
   * Encodes {@code row} into the next slot of the batch that {@link #scoreStaged} scores; a row the
   * spec cannot read takes no slot. The batch holds {@code capacity} rows (fixed at the first
   * call); the caller scores it before it is full.
   */
  public void stage(Row row, int capacity) throws BadRowException {
    if (staged == null) {
      int tasks = probs.length;
      staged = model.layout().newBatch(capacity, tasks);
      stagedLogits = new double[capacity * tasks];
      stagedProbs = new double[capacity * tasks];
      staged.setSize(0);
    }
    int i = staged.size();
    if (i == staged.capacity) {
      throw new IllegalStateException("the staged batch is full (" + i + " rows): score it first");
    }
    encoder.encodeReadOnly(row, staged, i);
    staged.setSize(i + 1);
  }

  /** Rows staged and not yet scored. */
  public int staged() {
    return staged == null ? 0 : staged.size();
  }

  /**
   * Scores the staged rows in one forward pass (from two rows on cheaper per row than {@link
   * #score} one at a time: the weights are read once for all of them) and empties the batch.
   * Returns row i's probability for task k at {@code [i · tasks + k]}: a view, valid until the next
   * call. The same model as {@link #score}, to float rounding.
   */
  public double[] scoreStaged() {
    requireReady();
    int n = staged();
    int tasks = probs.length;
    if (n > 0) {
      model.forward(
          staged, stagedLogits); // one row takes the model's one-row kernel, as score does
    }
    for (int j = 0; j < n * tasks; j++) {
      stagedProbs[j] = ai.hiformer.model.Loss.sigmoid(stagedLogits[j]);
    }
    if (staged != null) {
      staged.setSize(0);
    }
    return stagedProbs;
  }

  private void requireReady() {
    if (!ready()) {
      throw new IllegalStateException(
          "the replica has no whole model yet: it waits for a full update or the rest"
              + " of a base's slices");
    }
  }

  /** Scores one event; returns the probability per task (a view, valid until the next call). */
  public double[] score(Row row) throws BadRowException {
    requireReady();
    encoder.encodeReadOnly(row, one, 0);
    one.setSize(1);
    model.forward(one, logits);
    for (int k = 0; k < probs.length; k++) {
      probs[k] = ai.hiformer.model.Loss.sigmoid(logits[k]);
    }
    return probs;
  }
}
