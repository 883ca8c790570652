package ai.hiformer.learner;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.model.train.Learner;

/**
 * A runtime's model updates for scoring replicas and update-topic readers: its epoch (the runtime's
 * construction or restore, so not state) and its position in it, and the cycle of base slices for
 * readers that join late. Not thread-safe.
 */
public final class ReplicaUpdates {
  private final Learner learner;
  private final FeatureEncoder encoder;
  private final long epoch = System.currentTimeMillis();
  private long sequence;
  private BaseSlices baseSlices; // a restored learner publishes a full update, then a new cycle

  ReplicaUpdates(Learner learner, FeatureEncoder encoder) {
    this.learner = learner;
    this.encoder = encoder;
  }

  /**
   * The rows and vocabulary owners changed since the previous update ({@code full}: all of them,
   * for a replica to start from), and the dense weights when {@code withDense} or full. The first
   * update of a runtime should be full: its epoch is new.
   */
  public ModelUpdate capture(boolean full, boolean withDense) {
    return ModelUpdate.capture(
        learner.model(), encoder, epoch, ++sequence, learner.steps(), full, withDense);
  }

  /**
   * The next slice of a base spread over {@code count} updates ({@link BaseSlices}), at the
   * sequence of the last {@link #capture}, to be published right after it: a reader joining late
   * starts from a slice 0, and a reader that has its model skips slices. Call it only right after
   * {@code capture}, so that nothing changed in between.
   */
  public ModelUpdate baseSlice(int count) {
    if (baseSlices == null || baseSlices.count() != count) {
      baseSlices = new BaseSlices(count);
    }
    return ModelUpdate.captureSlice(
        learner.model(),
        encoder,
        epoch,
        sequence,
        learner.steps(),
        baseSlices.next(learner.model(), encoder));
  }
}
