package ai.hiformer.serving;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.model.Batch;
import ai.hiformer.model.train.Learner;

/**
 * Scores one event with one snapshot's model. Not thread-safe (the network keeps its activations in
 * scratch buffers): a {@link ServedModel} holds one per concurrent request.
 */
final class Scorer {
  private final FeatureEncoder encoder;
  private final Learner learner;
  private final Batch one;
  private final double[] probs;

  Scorer(ModelSnapshot snapshot) {
    this.encoder = snapshot.encoder();
    this.learner = snapshot.learner();
    int tasks = snapshot.spec().tasks().size();
    this.one = snapshot.spec().layout().newBatch(1, tasks);
    this.probs = new double[tasks];
  }

  /** Probability per task (a copy). Unseen feature values use the OOV row. */
  double[] score(Row row) throws BadRowException {
    encoder.encodeReadOnly(row, one, 0);
    one.setSize(1);
    learner.predict(one, probs);
    return probs.clone();
  }
}
