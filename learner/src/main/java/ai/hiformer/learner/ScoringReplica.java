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
 * A read-only copy of one model id's model for scoring, kept current by the learner's {@link ModelUpdate}s: it
 * never trains and never hands out ids (a value the learner has not published yet scores with the
 * out-of-vocabulary row). It starts at the first full update it is given and then takes each incremental update
 * of the same epoch in sequence; a full update of a newer epoch (the learner restored) replaces everything. Not
 * thread-safe: one per scoring thread.
 */
public final class ScoringReplica {
  private final FeatureEncoder encoder;
  private final CtrModel model;
  private final Batch one;
  private final double[] probs;
  private final double[] logits;
  private long epoch = Long.MIN_VALUE;
  private long sequence;
  private long version = -1;

  public ScoringReplica(FeatureSpec spec, ModelConfig config) {
    this.encoder = new FeatureEncoder(spec, null);
    this.model = Models.create(config.toBuilder().tasks(spec.tasks().size()).build(), spec.layout());
    for (ai.hiformer.model.nn.EmbeddingTable t : model.tables()) {
      t.dropOptimizerState(); // it never trains: half the rows' memory
    }
    this.one = spec.layout().newBatch(1, spec.tasks().size());
    this.probs = new double[spec.tasks().size()];
    this.logits = new double[spec.tasks().size()];
  }

  /**
   * A replica built from nothing but a full update (its spec and model configuration travel with it) and
   * brought to it.
   *
   * @throws IllegalArgumentException if {@code update} is not a full update that names its spec and configuration
   */
  public static ScoringReplica startingFrom(ModelUpdate update) {
    if (!update.full() || update.specJson() == null) {
      throw new IllegalArgumentException("a replica starts from a full update that carries its spec and model"
          + " configuration (this is " + (update.full() ? "a full update of HFU1" : "an increment") + ")");
    }
    ScoringReplica r = new ScoringReplica(FeatureSpec.parse(update.specJson()),
        ModelConfig.fromProperties(update.modelConfig()));
    r.apply(update);
    return r;
  }

  /** The replica's model: for readers that score it themselves (read-only replicas of it), never to train. */
  public CtrModel model() {
    return model;
  }

  /** The replica's encoder (read-only use: {@link FeatureEncoder#readOnlyView()}). */
  public FeatureEncoder encoder() {
    return encoder;
  }

  public long epoch() {
    return epoch;
  }

  public long sequence() {
    return sequence;
  }

  /**
   * Applies {@code update} if it continues this replica (next in sequence, same epoch) or is full and newer;
   * returns whether it was applied. Ignored updates change nothing.
   */
  public boolean apply(ModelUpdate update) {
    boolean next = update.epoch() == epoch && update.sequence() == sequence + 1;
    boolean newerBase = update.full() && (update.epoch() > epoch
        || (update.epoch() == epoch && update.sequence() > sequence));
    if (!next && !newerBase) {
      return false;
    }
    update.applyTo(model, encoder);
    epoch = update.epoch();
    sequence = update.sequence();
    version = update.version();
    return true;
  }

  /** Whether a full update has been applied (before that, {@link #score} refuses). */
  public boolean ready() {
    return version >= 0;
  }

  /** The model version scores are made with (-1 before the first full update). */
  public long version() {
    return version;
  }

  /** Scores one event; returns the probability per task (a view, valid until the next call). */
  public double[] score(Row row) throws BadRowException {
    if (!ready()) {
      throw new IllegalStateException("the replica has no model yet: it waits for a full update");
    }
    encoder.encodeReadOnly(row, one, 0);
    one.setSize(1);
    model.forward(one, logits);
    for (int k = 0; k < probs.length; k++) {
      probs[k] = ai.hiformer.model.train.Loss.sigmoid(logits[k]);
    }
    return probs;
  }
}
