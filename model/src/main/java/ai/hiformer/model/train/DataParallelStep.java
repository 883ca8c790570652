package ai.hiformer.model.train;

import ai.hiformer.model.Batch;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.Buffers;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.GradientSlots;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.Adam;

/**
 * One micro-batch's forward and backward pass split over K threads (data parallelism inside a
 * learner, {@code learn.threads}). The batch's B rows go to K contiguous shards, row {@code b} to
 * shard {@code k} for {@code ⌊k·B/K⌋ ≤ b < ⌊(k+1)·B/K⌋}; shard 0 runs on the learner's model and
 * the calling thread, shard k > 0 on a {@link CtrModel#trainingReplica() training replica} that
 * reads the same weights and tables. The loss is computed by the caller over the whole batch
 * between {@link #forward} and {@link #backward}, so its gradient dLogits is exactly that of K = 1.
 *
 * <p>Reduction, in a fixed order so a run is reproducible: the dense gradients of replica 1, 2, …,
 * K−1 are added into the model's, element by element; then each table's sparse row gradients of
 * replica 1, 2, …, K−1 are added slot by slot into the table's own slots (a row touched by several
 * shards gets each shard's partial sum). The sums differ from K = 1 only in the order of
 * floating-point additions. The optimiser step that follows is the caller's, once.
 *
 * <p>Rows are created before the shards run ({@link CtrModel#ensureRows}), on the calling thread,
 * so the replicas only read the tables.
 */
final class DataParallelStep implements AutoCloseable {
  private final CtrModel model;
  private final CtrModel[] workers; // [0] the model itself, [k > 0] its training replicas
  private final Param[][] grads; // per worker, its dense parameters in the model's order
  private final EmbeddingTable[] tables;
  private final Batch[] shards;
  private final double[][] shardLogits;
  private final double[][] shardDLogits;
  private final int[] from;
  private final WorkerThreads threads;
  private final WorkerThreads.Task forwardTask = this::forwardShard;
  private final WorkerThreads.Task backwardTask = this::backwardShard;
  private final WorkerThreads.Task reduceTask = this::reduceDenseRange;
  private final WorkerThreads.Task adamTask = this::adamRange;
  private final int[] offsets; // offsets[p]: first element of dense parameter p, laid end to end
  private Adam adam;
  private Batch batch;
  private double[] logits;
  private double[] dLogits;
  private boolean zeroGradients;

  /**
   * @param threads K ≥ 2
   * @throws UnsupportedOperationException when the model has no training replicas (a blend)
   */
  DataParallelStep(CtrModel model, int threads) {
    this.model = model;
    this.workers = new CtrModel[threads];
    this.grads = new Param[threads][];
    workers[0] = model;
    for (int k = 0; k < threads; k++) {
      if (k > 0) {
        workers[k] = model.trainingReplica();
      }
      grads[k] = workers[k].params().all().toArray(new Param[0]);
    }
    this.offsets = new int[grads[0].length + 1];
    for (int p = 0; p < grads[0].length; p++) {
      offsets[p + 1] = Math.addExact(offsets[p], grads[0][p].size());
    }
    this.tables = model.tables().toArray(new EmbeddingTable[0]);
    this.shards = new Batch[threads];
    this.shardLogits = new double[threads][];
    this.shardDLogits = new double[threads][];
    this.from = new int[threads + 1];
    this.threads = new WorkerThreads(threads, "hiformer-learner");
  }

  int threads() {
    return workers.length;
  }

  /**
   * Forward pass of {@code batch} into logits (B, tasks), shard by shard; with {@code
   * zeroGradients} every worker first clears its gradients (a training step).
   */
  void forward(Batch batch, double[] logits, boolean zeroGradients) {
    model.ensureRows(batch);
    int n = batch.size();
    int k = workers.length;
    for (int i = 0; i <= k; i++) {
      from[i] = (int) ((long) i * n / k);
    }
    this.batch = batch;
    this.logits = logits;
    this.zeroGradients = zeroGradients;
    try {
      threads.run(forwardTask);
    } finally {
      this.logits = null;
    }
  }

  /**
   * Backward pass of the last {@link #forward} with dLogits (B, tasks), then the reduction of every
   * worker's gradients into the model's (dense parameters and the tables' row slots).
   */
  void backward(double[] dLogits) {
    this.dLogits = dLogits;
    try {
      threads.run(backwardTask);
      threads.run(reduceTask);
    } finally {
      this.dLogits = null;
      this.batch = null;
    }
    reduceRows();
  }

  /** One Adam step on the dense parameters, their elements split over the workers. */
  void applyDense(Adam adam) {
    this.adam = adam;
    adam.beginStep();
    try {
      threads.run(adamTask);
    } finally {
      this.adam = null;
    }
  }

  private void adamRange(int k) {
    int total = offsets[offsets.length - 1];
    adam.applyRange(part(total, k), part(total, k + 1));
  }

  /** The first element of worker k's part of [0, total). */
  private int part(int total, int k) {
    return (int) ((long) k * total / workers.length);
  }

  private void forwardShard(int k) {
    CtrModel worker = workers[k];
    if (zeroGradients) {
      worker.params().zeroGrads();
      if (k > 0) {
        for (int t = 0; t < tables.length; t++) {
          worker.ownRowGradients(t).clear();
        }
      }
    }
    int lo = from[k];
    int rows = from[k + 1] - lo;
    if (rows == 0) {
      return;
    }
    Batch shard = shard(k, rows);
    for (int b = 0; b < rows; b++) {
      shard.copyRow(batch, lo + b, b);
    }
    int t = batch.tasks;
    shardLogits[k] = Buffers.ensure(shardLogits[k], rows * t);
    worker.forward(shard, shardLogits[k]);
    System.arraycopy(shardLogits[k], 0, logits, lo * t, rows * t);
  }

  private void backwardShard(int k) {
    int lo = from[k];
    int rows = from[k + 1] - lo;
    if (rows == 0) {
      return;
    }
    int t = batch.tasks;
    shardDLogits[k] = Buffers.ensure(shardDLogits[k], rows * t);
    System.arraycopy(dLogits, lo * t, shardDLogits[k], 0, rows * t);
    workers[k].backward(shards[k], shardDLogits[k]);
  }

  private Batch shard(int k, int rows) {
    Batch s = shards[k];
    if (s == null || s.capacity < rows) {
      int capacity = Math.max(rows, batch.capacity / workers.length + 1);
      s = new Batch(capacity, batch.nCat, batch.nMulti, batch.maxMulti, batch.nNum, batch.tasks);
      shards[k] = s;
    }
    s.setSize(rows);
    return s;
  }

  /** Adds elements of the replicas' dense gradients into the model's: worker k's share. */
  private void reduceDenseRange(int worker) {
    int total = offsets[offsets.length - 1];
    int from = part(total, worker);
    int to = part(total, worker + 1);
    Param[] into = grads[0];
    for (int p = 0; p < into.length && from < to; p++) {
      int lo = offsets[p];
      int hi = offsets[p + 1];
      if (from >= hi) {
        continue;
      }
      int end = Math.min(to, hi);
      double[] g = into[p].grad();
      for (int k = 1; k < workers.length; k++) {
        if (this.from[k + 1] == this.from[k]) {
          continue; // an empty shard added nothing
        }
        double[] add = grads[k][p].grad();
        for (int i = from - lo; i < end - lo; i++) {
          g[i] += add[i];
        }
      }
      from = end;
    }
  }

  private void reduceRows() {
    for (int t = 0; t < tables.length; t++) {
      EmbeddingTable table = tables[t];
      int dim = table.dim();
      for (int k = 1; k < workers.length; k++) {
        GradientSlots own = workers[k].ownRowGradients(t);
        int[] rows = own.touchedRows();
        double[] add = own.grads();
        for (int s = 0, n = own.touchedCount(); s < n; s++) {
          int offset = table.gradOffset(rows[s]);
          double[] g = table.grads(); // after gradOffset, which may grow the slots
          for (int j = 0; j < dim; j++) {
            g[offset + j] += add[s * dim + j];
          }
        }
      }
    }
  }

  @Override
  public void close() {
    threads.close();
  }
}
