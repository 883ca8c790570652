package ai.hiformer.model;

import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.ParamStore;
import java.util.List;

/**
 * A network that maps a {@link Batch} to one logit per task. Forward keeps the activations that the
 * following backward needs; a model instance is therefore single-threaded.
 *
 * <p>Call order of one training step: {@code params().zeroGrads()}, {@link #forward}, {@link
 * #backward} (adds gradients into the dense parameters and marks touched embedding rows), then the
 * optimisers.
 */
public interface CtrModel {
  ModelConfig config();

  InputLayout layout();

  /** Writes logits (B, tasks), row-major, overwriting {@code logits[0 .. B·tasks)}. */
  void forward(Batch batch, double[] logits);

  /**
   * Backward of the last {@link #forward} on the same batch; dLogits (B, tasks) is not modified.
   */
  void backward(Batch batch, double[] dLogits);

  /**
   * Adds {@code delta[k]} to the output bias of task k, so that every logit of task k moves by
   * exactly {@code delta[k]} (delta has length tasks). Used to centre a new model's first
   * predictions ({@link ModelConfig#centreFirstLogits()}).
   */
  void shiftLogits(double[] delta);

  /**
   * Centres a new model: shifts its logits so that their mean over the batch just forwarded ({@code
   * logits} (n, tasks), this model's output) is 0 for each task ({@link
   * ModelConfig#centreFirstLogits()}). A model made of models centres each of its parts on its own
   * logits.
   */
  default void centreLogits(int n, double[] logits) {
    int tasks = config().tasks();
    double[] shift = new double[tasks];
    for (int b = 0; b < n; b++) {
      for (int k = 0; k < tasks; k++) {
        shift[k] -= logits[b * tasks + k] / n;
      }
    }
    shiftLogits(shift);
  }

  /**
   * Re-initialises row {@code id} of field {@code field}'s table(s) for a new key ({@link
   * EmbeddingTable#resetRow}).
   */
  default void resetRow(int field, int id, long generation) {
    tables().get(field).resetRow(id, generation);
  }

  /** Dense parameters (Adam). */
  ParamStore params();

  /** Sparse embedding tables, one per categorical and multi-valued field (sparse Adagrad). */
  List<EmbeddingTable> tables();

  /**
   * The same network over this model's weights: its dense parameters read this model's values and
   * it reads this model's embedding tables, while its activations and scratch buffers are its own.
   * So N threads can score with one copy of the weights, each through its own replica. A replica
   * must not be trained, and nothing may change the shared weights while replicas score (a server
   * builds a new model for each version).
   */
  default CtrModel readOnlyReplica() {
    return readOnlyReplica(config().precision());
  }

  /**
   * As {@link #readOnlyReplica()}, its products at {@code precision} (e.g. the exact arithmetic, to
   * compare).
   */
  CtrModel readOnlyReplica(ai.hiformer.model.math.Precision precision);

  /**
   * A replica for data-parallel learning: it reads this model's dense weights and embedding tables
   * as {@link #readOnlyReplica()} does, and keeps activations, dense gradients and sparse row
   * gradients ({@link #ownRowGradients}) of its own. Its forward and backward may run on another
   * thread at the same time as this model's, provided nothing writes the weights meanwhile and
   * every row its batch reads exists ({@link #ensureRows}); the caller adds its gradients into this
   * model's before the optimiser step.
   *
   * @throws UnsupportedOperationException for a model whose backward writes shared state (a blend)
   */
  CtrModel trainingReplica();

  /**
   * The sparse gradients that a {@link #trainingReplica()}'s last backward wrote for table {@code
   * table} ({@link #tables()} order).
   *
   * @throws IllegalStateException when this model is not a training replica
   */
  ai.hiformer.model.nn.GradientSlots ownRowGradients(int table);

  /**
   * Materialises every embedding row that {@code batch} reads (ids beyond a table's rows), so that
   * a forward pass adds none: rows are created on one thread before replicas read the tables.
   */
  default void ensureRows(Batch batch) {
    for (int t = 0; t < tables().size(); t++) {
      ensureRows(batch, t);
    }
  }

  /**
   * {@link #ensureRows(Batch)} for table {@code t} alone ({@link #tables()} order): tables are
   * independent, so different tables may be filled on different threads.
   */
  default void ensureRows(Batch batch, int t) {
    EmbeddingTable table = tables().get(t);
    int f = t % (batch.nCat + batch.nMulti); // a blend lists its members' tables one after another
    int n = batch.size();
    if (f < batch.nCat) {
      for (int b = 0; b < n; b++) {
        table.ensureRow(batch.cat[b * batch.nCat + f]);
      }
      return;
    }
    int m = f - batch.nCat;
    for (int b = 0; b < n; b++) {
      int base = (b * batch.nMulti + m) * batch.maxMulti;
      for (int k = 0; k < batch.maxMulti; k++) {
        table.ensureRow(batch.multi[base + k]);
      }
    }
  }

  /**
   * Number of forward multiply-accumulates per example in the matrix products (for GFLOP/s
   * reports).
   */
  long macsPerExample();
}
