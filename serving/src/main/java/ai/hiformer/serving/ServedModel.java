package ai.hiformer.serving;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.snapshot.ModelDelta;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.features.spec.TaskSpec;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.optim.OptimizerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.ReadWriteLock;

/**
 * One loaded, verified snapshot of one model, immutable once built: a pool of scorers (one per
 * scoring thread) over one copy of the weights. A request takes a scorer, scores, and gives it
 * back, so a response always comes from exactly one version.
 */
public final class ServedModel {
  private final String modelId;
  private final long version;
  private final long baseVersion;
  private final long appliedDeltas;
  private final Path directory;
  private final List<String> tasks;
  private final BlockingQueue<Scorer> pool;
  private final ReadWriteLock lock; // null: loaded from a snapshot, never written
  private volatile ServedModel successor; // set when retired

  private ServedModel(
      String modelId,
      long version,
      long baseVersion,
      long appliedDeltas,
      Path directory,
      List<String> tasks,
      BlockingQueue<Scorer> pool,
      ReadWriteLock lock) {
    this.modelId = modelId;
    this.version = version;
    this.baseVersion = baseVersion;
    this.appliedDeltas = appliedDeltas;
    this.directory = directory;
    this.tasks = tasks;
    this.pool = pool;
    this.lock = lock;
  }

  /** Loads and verifies a snapshot directory, building {@code scorers} independent scorers. */
  public static ServedModel load(Path dir, int scorers) throws IOException {
    return load(dir, scorers, List.of());
  }

  /**
   * Loads a full snapshot and applies its deltas in order (incremental sync); the version served is
   * the last delta's model version. The weights, tables and vocabularies are held once: each of the
   * {@code scorers} reads them through its own read-only replica (its own activations and scratch).
   * Tables are frozen (no optimiser state, no new rows).
   */
  public static ServedModel load(Path dir, int scorers, List<ModelDelta> deltas)
      throws IOException {
    if (scorers < 1) {
      throw new IllegalArgumentException("invalid scorers = " + scorers + "; allowed: >= 1");
    }
    ModelSnapshot s = ModelSnapshot.read(dir, OptimizerConfig.defaults());
    for (ModelDelta d : deltas) {
      d.applyTo(s.learner(), s.encoder());
    }
    CtrModel model = s.learner().model();
    for (EmbeddingTable t : model.tables()) {
      t.freeze();
    }
    BlockingQueue<Scorer> pool = new ArrayBlockingQueue<>(scorers);
    pool.add(new Scorer(s.spec(), s.encoder(), model));
    for (int i = 1; i < scorers; i++) {
      pool.add(new Scorer(s.spec(), s.encoder().readOnlyView(), model.readOnlyReplica()));
    }
    long version =
        deltas.isEmpty() ? s.modelVersion() : deltas.get(deltas.size() - 1).modelVersion();
    return new ServedModel(
        s.modelId(),
        version,
        s.modelVersion(),
        deltas.size(),
        dir,
        s.spec().tasks().stream().map(TaskSpec::name).toList(),
        pool,
        null);
  }

  /**
   * A version of a model followed through the update stream ({@link UpdateFollower}): {@code
   * scorers} read-only replicas over {@code model} and {@code encoder}, which the follower writes
   * in place under {@code lock}'s write lock once this version is retired ({@link #retire});
   * scoring holds the read lock.
   */
  static ServedModel following(
      String modelId,
      long version,
      FeatureSpec spec,
      CtrModel model,
      ai.hiformer.features.FeatureEncoder encoder,
      int scorers,
      ReadWriteLock lock) {
    BlockingQueue<Scorer> pool = new ArrayBlockingQueue<>(scorers);
    for (int i = 0; i < scorers; i++) {
      pool.add(new Scorer(spec, encoder.readOnlyView(), model.readOnlyReplica()));
    }
    return new ServedModel(
        modelId,
        version,
        version,
        0,
        null,
        spec.tasks().stream().map(TaskSpec::name).toList(),
        pool,
        lock);
  }

  /**
   * Stops this version: a request that reaches it from now on is scored by {@code successor}
   * instead, because this version's weights are about to be overwritten (see {@link #following}).
   */
  void retire(ServedModel successor) {
    this.successor = successor;
  }

  /**
   * Whether the weights this version reads may be written later (a version followed through the
   * update stream).
   */
  boolean followed() {
    return lock != null;
  }

  /** The full snapshot this model was loaded from. */
  public long baseVersion() {
    return baseVersion;
  }

  /** How many deltas were applied on top of the full snapshot. */
  public long appliedDeltas() {
    return appliedDeltas;
  }

  public String modelId() {
    return modelId;
  }

  public long version() {
    return version;
  }

  public Path directory() {
    return directory;
  }

  /** The task names, in the order of the scores {@link #score(List, double[], String[])} writes. */
  public List<String> tasks() {
    return tasks;
  }

  /** Probability per task, by task name. */
  public Map<String, Double> score(Row row) throws BadRowException, InterruptedException {
    double[] p = new double[tasks.size()];
    String[] error = new String[1];
    ServedModel by = score(List.of(row), p, error);
    List<String> tasks = by.tasks;
    if (error[0] != null) {
      throw new BadRowException(error[0]);
    }
    Map<String, Double> out = new LinkedHashMap<>();
    for (int k = 0; k < tasks.size(); k++) {
      out.put(tasks.get(k), p[k]);
    }
    return out;
  }

  /**
   * Scores a batch of events with one scorer (so with one version): see {@link Scorer#score}. Waits
   * for a free scorer when every one is busy (the pool is sized to the scoring threads, so a server
   * never waits).
   *
   * @param out (rows.size(), tasks), written
   * @param errors (rows.size()), written: null where the row was scored, else why it was not
   * @return the version that scored them: this one, or, if this one was retired meanwhile, its
   *     newest successor (same tasks)
   */
  public ServedModel score(List<? extends Row> rows, double[] out, String[] errors)
      throws InterruptedException {
    if (lock == null) {
      scoreWithPool(rows, out, errors);
      return this;
    }
    lock.readLock().lock();
    try {
      if (successor == null) {
        scoreWithPool(rows, out, errors);
        return this;
      }
    } finally {
      lock.readLock().unlock();
    }
    return successor.score(rows, out, errors);
  }

  private void scoreWithPool(List<? extends Row> rows, double[] out, String[] errors)
      throws InterruptedException {
    Scorer s = pool.take();
    try {
      s.score(rows, out, errors);
    } finally {
      pool.add(s);
    }
  }

  /** The scorers, for tests: only while no request is being scored. */
  List<Scorer> idleScorers() {
    return List.copyOf(pool);
  }

  /** How many scorers (concurrent scoring threads) this model holds. */
  public int scorers() {
    return pool.remainingCapacity() + pool.size();
  }
}
