package ai.hiformer.model.train;

import ai.hiformer.model.Batch;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.Buffers;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.GradientSlots;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.Adam;
import ai.hiformer.model.optim.SparseAdagrad;
import java.util.Arrays;

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
 * <p>Work that is not per example is split too, so that little of a step runs on one thread: new
 * rows are created ({@link CtrModel#ensureRows(Batch, int)}) and row gradients reduced, checked and
 * applied table by table (table t on worker t mod K; tables are independent, and so are their
 * change listeners), dense gradients zeroed, reduced, checked and applied by ranges of their
 * elements (the reduction zeroes the replicas' gradients as it adds them, so they need no pass of
 * their own). Rows exist before any shard's forward starts, so the replicas only read the tables.
 */
final class DataParallelStep implements AutoCloseable {
  private final CtrModel model;
  private final CtrModel[] workers; // [0] the model itself, [k > 0] its training replicas
  private final Param[][] grads; // per worker, its dense parameters in the model's order
  private final int[] offsets; // offsets[p]: first element of dense parameter p, laid end to end
  private final EmbeddingTable[] tables;
  private final Batch[] shards;
  private final double[][] shardLogits;
  private final double[][] shardDLogits;
  private final int[] from; // shard k is rows [from[k], from[k + 1]) of the batch
  private final boolean[] finite; // per worker: its share of the reduced gradients is finite
  // Per replica (k > 0): its dense gradients may be non-zero. The reduction zeroes what it adds, so
  // after a completed reduction no replica needs a pass of its own before the next backward.
  private final boolean[] dirty;
  private final WorkerThreads threads;
  private final WorkerThreads.Task rowsTask = this::ensureRows;
  private final WorkerThreads.Task forwardTask = this::forwardShard;
  private final WorkerThreads.Task backwardTask = this::backwardShard;
  private final WorkerThreads.Task reduceTask = this::reduce;
  private final WorkerThreads.Task optimiseTask = this::optimise;
  private final ElementRange reduceRange = this::reduceRange;
  private final ElementRange zeroRange = this::zeroRange;
  private Batch batch;
  private double[] logits;
  private double[] dLogits;
  private boolean zeroGradients;
  private Adam adam;
  private SparseAdagrad adagrad;

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
    this.finite = new boolean[threads];
    this.dirty = new boolean[threads];
    this.threads = new WorkerThreads(threads, "hiformer-learner");
  }

  int threads() {
    return workers.length;
  }

  /**
   * Forward pass of {@code batch} into logits (B, tasks), shard by shard, after creating the rows
   * it reads; with {@code zeroGradients} every worker first clears its gradients (a training step).
   */
  void forward(Batch batch, double[] logits, boolean zeroGradients) {
    int n = batch.size();
    int k = workers.length;
    for (int i = 0; i <= k; i++) {
      from[i] = (int) ((long) i * n / k);
    }
    this.batch = batch;
    this.logits = logits;
    this.zeroGradients = zeroGradients;
    try {
      threads.run(rowsTask);
      threads.run(forwardTask);
    } finally {
      this.logits = null;
    }
  }

  /**
   * Backward pass of the last {@link #forward} with dLogits (B, tasks), then the reduction of every
   * worker's gradients into the model's (dense parameters and the tables' row slots).
   *
   * @return whether the reduced gradients are all finite (the learner's guard)
   */
  boolean backward(double[] dLogits) {
    this.dLogits = dLogits;
    try {
      threads.run(backwardTask);
      threads.run(reduceTask);
      Arrays.fill(dirty, false); // the reduction zeroed every replica's gradients
    } finally {
      this.dLogits = null;
      this.batch = null;
    }
    for (boolean f : finite) {
      if (!f) {
        return false;
      }
    }
    return true;
  }

  /** One Adam step on the dense parameters and one sparse Adagrad step on the touched rows. */
  void applyOptimisers(Adam adam, SparseAdagrad adagrad) {
    this.adam = adam;
    this.adagrad = adagrad;
    adam.beginStep();
    try {
      threads.run(optimiseTask);
    } finally {
      this.adam = null;
      this.adagrad = null;
    }
  }

  private void ensureRows(int k) {
    for (int t = k; t < tables.length; t += workers.length) {
      model.ensureRows(batch, t);
    }
  }

  private void forwardShard(int k) {
    CtrModel worker = workers[k];
    if (zeroGradients) {
      zeroModelGradients(k);
      if (k > 0) {
        if (dirty[k]) {
          worker.params().zeroGrads();
          dirty[k] = false;
        }
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
    dirty[k] = k > 0;
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

  /** Worker k's share of the reduction: a range of dense elements, then its tables' rows. */
  private void reduce(int k) {
    boolean ok = reduceDense(k);
    for (int t = k; t < tables.length; t += workers.length) {
      ok &= reduceRows(t);
    }
    finite[k] = ok;
  }

  /** Work on elements [a, b) of dense parameter p. */
  private interface ElementRange {
    /**
     * @return whether the range is finite, where the work checks it (true otherwise)
     */
    boolean run(int p, int a, int b);
  }

  /** Runs {@code action} over worker k's part of the dense elements, parameter by parameter. */
  private boolean forEachRange(int k, ElementRange action) {
    int total = offsets[offsets.length - 1];
    int lo = part(total, k);
    int hi = part(total, k + 1);
    boolean ok = true;
    for (int p = 0; p < grads[0].length && lo < hi; p++) {
      if (lo >= offsets[p + 1]) {
        continue;
      }
      int a = lo - offsets[p];
      int b = Math.min(hi, offsets[p + 1]) - offsets[p];
      ok &= action.run(p, a, b);
      lo = offsets[p] + b;
    }
    return ok;
  }

  /** Worker k's range of the replicas' dense gradients added into the model's; finite or not. */
  private boolean reduceDense(int k) {
    return forEachRange(k, reduceRange);
  }

  /** Zeroes worker k's range of the model's dense gradients (each worker one range). */
  private void zeroModelGradients(int k) {
    forEachRange(k, zeroRange);
  }

  private boolean zeroRange(int p, int a, int b) {
    Arrays.fill(grads[0][p].grad(), a, b, 0.0);
    return true;
  }

  /**
   * Adds elements [a, b) of the replicas' gradients of parameter p into the model's, zeroing them.
   *
   * @return whether the sums are finite
   */
  private boolean reduceRange(int p, int a, int b) {
    double[] g = grads[0][p].grad();
    for (int w = 1; w < workers.length; w++) {
      if (from[w + 1] == from[w]) {
        continue; // an empty shard added nothing
      }
      double[] add = grads[w][p].grad();
      for (int i = a; i < b; i++) {
        g[i] += add[i];
        add[i] = 0;
      }
    }
    return Finite.all(g, a, b);
  }

  /**
   * Adds the replicas' row gradients of table t into the table's slots, replica by replica.
   *
   * @return whether the table's summed row gradients are finite
   */
  private boolean reduceRows(int t) {
    EmbeddingTable table = tables[t];
    int dim = table.dim();
    for (int w = 1; w < workers.length; w++) {
      GradientSlots own = workers[w].ownRowGradients(t);
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
    return Finite.all(table.grads(), 0, table.touchedCount() * dim);
  }

  private void optimise(int k) {
    int total = offsets[offsets.length - 1];
    adam.applyRange(part(total, k), part(total, k + 1));
    for (int t = k; t < tables.length; t += workers.length) {
      adagrad.apply(tables[t]);
    }
  }

  /** The first element of worker k's part of [0, total). */
  private int part(int total, int k) {
    return (int) ((long) k * total / workers.length);
  }

  @Override
  public void close() {
    threads.close();
  }
}
