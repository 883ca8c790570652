package ai.hiformer.learner;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.snapshot.ChangedRows;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.Batch;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.Models;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.util.List;
import java.util.Map;

/**
 * One model id's online learner: the feature encoder (vocabularies, statistics), the learner
 * (weights, optimiser state), the micro-batch of labelled examples not yet trained on, and the
 * progressive metrics. No Flink and no event type: it reads any {@link Row} (the job adapts its
 * Avro events); the job's operator keeps one per key and writes it to keyed state at each
 * checkpoint.
 *
 * <p>Order of work per event: encode (new values get fresh rows now, as in the protocol) → score
 * with the current weights → if labelled, append to the micro-batch → when the micro-batch is full,
 * predict-then-train on it (those predictions feed the progressive metrics).
 */
public final class ModelRuntime {
  /**
   * The version of {@link #toBytes()}'s layout; a fixture of each released version is under test.
   */
  public static final int STATE_FORMAT = 1;

  final FeatureSpec spec;
  final FeatureEncoder encoder;
  final Learner learner;
  private final Batch one;
  final MicroBatch micro;
  private final double[] oneProbs;
  final RuntimeMetrics metrics;
  final QualityGate gate;
  long scored;
  // Snapshot policy (configuration, not state) and the snapshots captured since the last
  // checkpoint.
  final SnapshotSchedule schedule = new SnapshotSchedule();
  private final List<CapturedSnapshot> captured = new java.util.ArrayList<>();
  // Incremental sync: the full snapshot the current delta chain builds on, and the chain's
  // position.
  final DeltaChain deltas = new DeltaChain();

  long trainedExamples;
  long maxEventTimeMillis = Long.MIN_VALUE;
  final LabelArrivals arrivals = new LabelArrivals();
  private final ReplicaUpdates updates;
  private final StateBuffer headBuffer = new StateBuffer(); // reused at every checkpoint

  public ModelRuntime(
      FeatureSpec spec, ModelConfig config, OptimizerConfig optimizer, int microBatch) {
    this(spec, newLearner(spec, config, optimizer), microBatch);
  }

  /** A new model's learner, its tables' changes tracked for checkpoints, updates and deltas. */
  private static Learner newLearner(
      FeatureSpec spec, ModelConfig config, OptimizerConfig optimizer) {
    var model = Models.create(config.toBuilder().tasks(spec.tasks().size()).build(), spec.layout());
    ChangedRows.track(model);
    return new Learner(model, optimizer);
  }

  ModelRuntime(FeatureSpec spec, Learner learner, int microBatch) {
    this.spec = spec;
    this.learner = learner;
    this.encoder =
        new FeatureEncoder(
            spec, (field, id, generation) -> learner.model().resetRow(field, id, generation));
    updates = new ReplicaUpdates(learner, encoder);
    int tasks = spec.tasks().size();
    one = spec.layout().newBatch(1, tasks);
    oneProbs = new double[tasks];
    List<String> taskNames =
        spec.tasks().stream().map(ai.hiformer.features.spec.TaskSpec::name).toList();
    metrics = new RuntimeMetrics(taskNames, learner.model());
    gate = new QualityGate(taskNames, spec.layout());
    micro =
        new MicroBatch(
            learner,
            spec.layout().newBatch(microBatch, tasks),
            (batch, probs) -> {
              metrics.record(batch, probs, arrivals.lateRows());
              gate.record(batch, probs, arrivals.lateRows());
            });
  }

  /**
   * Appends a joined example (labels from the label stream) to the micro-batch without scoring it.
   *
   * @param labels label per task name (0 or 1); tasks without a label are masked
   * @param eventTimeMillis the event's time, for the event-time snapshot rule
   */
  public void learnOnly(Row row, Map<String, Double> labels, long eventTimeMillis)
      throws BadRowException {
    learnOnly(row, labels, eventTimeMillis, null, Arrival.INLINE);
  }

  /**
   * As {@link #learnOnly(Row, Map, long)}, for request {@code requestId} (null: every negative is
   * kept whatever the sampling rate), its labels arrived as {@code arrival} says.
   */
  public void learnOnly(
      Row row, Map<String, Double> labels, long eventTimeMillis, String requestId, Arrival arrival)
      throws BadRowException {
    encoder.encode(row, one, 0, false);
    SavedRows.materialiseHandedOut(learner, encoder);
    maxEventTimeMillis = Math.max(maxEventTimeMillis, eventTimeMillis);
    if (append(labels, requestId, arrival)) {
      train();
    }
  }

  /**
   * Sets how the labels learned relate to the truth (configuration, not state): each task's
   * negatives are kept at rate {@code negativeKeep} by {@link NegativeSampling} (the model is
   * corrected for it, so its output keeps the true base rate); with {@code latePositivesLearned},
   * positives arriving after their window are learned again and every example is weighted by the
   * fake-negative weights for a wait, the late share estimated from the positives learned so far.
   *
   * @throws IllegalArgumentException for a rate outside (0, 1]
   */
  public void labelPolicy(double negativeKeep, boolean latePositivesLearned) {
    learner.labelPolicy(arrivals.configure(negativeKeep, latePositivesLearned));
  }

  /**
   * The share of positives that arrived after their window, as counted so far: a Laplace estimate,
   * ½ before any positive.
   */
  public double lateShare() {
    return arrivals.lateShare();
  }

  /**
   * Scores one event; returns the probability per task (a view, valid until the next call). Appends
   * the event to the micro-batch when it carries labels and trains when the micro-batch is full.
   *
   * @param labels label per task name (0 or 1), empty for an event whose labels come later
   */
  public double[] scoreAndLearn(Row row, Map<String, Double> labels, long eventTimeMillis)
      throws BadRowException {
    return scoreAndLearn(row, labels, eventTimeMillis, null);
  }

  /**
   * As {@link #scoreAndLearn(Row, Map, long)}, for request {@code requestId} (null: every negative
   * is kept whatever the sampling rate).
   */
  public double[] scoreAndLearn(
      Row row, Map<String, Double> labels, long eventTimeMillis, String requestId)
      throws BadRowException {
    encoder.encode(row, one, 0, false);
    maxEventTimeMillis = Math.max(maxEventTimeMillis, eventTimeMillis);
    one.setSize(1);
    learner.predict(one, oneProbs);
    scored++;
    if (!labels.isEmpty() && append(labels, requestId, Arrival.INLINE)) {
      train();
    }
    return oneProbs;
  }

  /** Appends the example (unless sampling drops every label); returns whether the batch is full. */
  private boolean append(Map<String, Double> labels, String requestId, Arrival arrival) {
    List<ai.hiformer.features.spec.TaskSpec> tasks = spec.tasks();
    int t = tasks.size();
    long learned = arrivals.learnedTasks(labels, tasks, requestId);
    if (learned == 0) {
      return false; // every label a negative the sampling drops
    }
    int b = micro.append(one, 0);
    Batch pending = micro.pending();
    int positives = 0;
    for (int k = 0; k < t; k++) {
      boolean in = (learned & (1L << k)) != 0;
      double y = in ? labels.get(tasks.get(k).name()) : 0;
      pending.label[b * t + k] = y;
      pending.labelMask[b * t + k] = in ? 1 : 0;
      positives += in && y > 0.5 ? 1 : 0;
    }
    arrivals.appended(b, arrival, positives);
    return micro.isFull();
  }

  /** Trains on the pending micro-batch, if any (also called when the stream goes idle). */
  public boolean train() {
    int n = micro.size();
    ai.hiformer.model.train.LabelPolicy policy = n > 0 ? arrivals.policyForStep() : null;
    if (policy != null) {
      learner.labelPolicy(policy);
    }
    boolean stepped = micro.train();
    arrivals.stepped();
    if (!stepped) {
      return false;
    }
    trainedExamples += n;
    if (schedule.takeIfDue(trainedExamples, maxEventTimeMillis) && admitted()) {
      captureSnapshot();
    }
    return true;
  }

  /**
   * Captures a delta on top of the last full snapshot when something was learned since the last one
   * (incremental sync); {@code withDense} adds every dense weight.
   */
  public void captureDeltaIfChanged(boolean withDense) {
    if (deltas.wouldCapture(version())
        && admitted()) { // else nothing to build on or carry, or held back
      deltas.capture(learner, encoder, version(), withDense);
    }
  }

  /** Hands over the deltas captured since the last call. */
  public List<ai.hiformer.features.snapshot.ModelDelta> drainDeltas() {
    return deltas.drain();
  }

  /** Captures a snapshot of the model as it is now; later deltas build on it. */
  private void captureSnapshot() {
    captured.add(
        new CapturedSnapshot(
            version(),
            learnerBytes(),
            encoderBytes(),
            learner.model().config().toProperties(),
            trainedExamples,
            scored,
            metrics.summary()));
    deltas.restart(learner, version());
  }

  /**
   * At the end of a bounded input: capture what was learned since the last snapshot, if anything.
   */
  public void captureFinal() {
    if (schedule.dueAtEnd(trainedExamples) && admitted()) {
      schedule.taken(trainedExamples, maxEventTimeMillis);
      captureSnapshot();
    }
  }

  /**
   * Holds back snapshots and deltas while the model ranks the served version's reference examples
   * (the last {@code window} labelled ones when it was published) more than {@code margin} worse
   * than the model did before it learned them ({@link QualityGate}; window 0 = off); {@code onHold}
   * hears each hold's reason, and each new level accepted after {@code maxHeldExamples} (0 =
   * never). The policy is configuration; what the gate has seen is state, restored when the policy
   * is set after a restore.
   */
  public void qualityGate(
      int window, double margin, long maxHeldExamples, java.util.function.Consumer<String> onHold) {
    gate.configure(window, margin, maxHeldExamples, onHold);
  }

  private boolean admitted() {
    return gate.admit(learner::predict);
  }

  /** Versions the quality gate held back (0 without a gate). */
  public long versionsHeldBack() {
    return gate.held();
  }

  /** Sets when snapshots are taken (0 disables a rule); not part of the state. */
  public void snapshotPolicy(long everyExamples, long everyEventTimeMillis) {
    schedule.policy(everyExamples, everyEventTimeMillis);
  }

  /** Hands over the snapshots captured since the last call. */
  public List<CapturedSnapshot> drainCaptured() {
    if (captured.isEmpty()) {
      return List.of();
    }
    List<CapturedSnapshot> out = List.copyOf(captured);
    captured.clear();
    return out;
  }

  /** The model updates for scoring replicas and update-topic readers. */
  public ReplicaUpdates updates() {
    return updates;
  }

  /** Wall time of the last micro-batch step, in milliseconds (the batch-latency metric). */
  public long lastTrainMillis() {
    return Math.round(micro.lastTrainMillis());
  }

  public long trainedExamples() {
    return trainedExamples;
  }

  public byte[] learnerBytes() {
    return LearnerCodec.encode(learner);
  }

  public byte[] encoderBytes() {
    return encoder.stateBytes();
  }

  /** The model version: optimiser steps applied so far. */
  public long version() {
    return learner.steps();
  }

  public long scored() {
    return scored;
  }

  public int pendingExamples() {
    return micro.size();
  }

  /**
   * The progressive metrics, per task and, for a blend, per member; their {@code summary()} is what
   * snapshot manifests record ({@code <task>.progressive_auc}, {@code <task>.<member>...}).
   */
  public RuntimeMetrics metrics() {
    return metrics;
  }

  /**
   * Vocabulary values evicted (capacity or TTL) since this runtime was built or restored: a metric.
   */
  public long vocabularyEvictions() {
    return encoder.vocabularyEvictions();
  }

  /** The encoder (vocabularies, statistics): for tests in this package. */
  ai.hiformer.features.FeatureEncoder encoder() {
    return encoder;
  }

  public Learner learner() {
    return learner;
  }

  public FeatureSpec spec() {
    return spec;
  }

  /** Everything above as bytes (versioned sections: learner, encoder, pending rows, metrics). */
  public byte[] toBytes() {
    return RuntimeState.write(this, true, new StateBuffer());
  }

  /**
   * The head of an incremental state: {@link #toBytes()} without the embedding rows' cells and the
   * exact vocabularies' values, which go apart, only those changed, through {@link #drainUnsaved}.
   * Restored by {@link #fromHeadAndRows}.
   */
  public byte[] headBytes() {
    return RuntimeState.write(this, false, headBuffer);
  }

  /**
   * Saves the embedding rows ({@link SavedRows}) and vocabulary entries changed since the last
   * call; returns how many of each.
   */
  public int[] drainUnsaved(SavedRows.Sink rows, SavedRows.Sink entries) throws Exception {
    return new int[] {SavedRows.drain(learner, rows), encoder.drainUnsavedEntries(entries::put)};
  }

  /**
   * Rebuilds a runtime from {@link #toBytes()}; with {@code spec} null, the spec stored in the
   * state is used (savepoint export).
   */
  public static ModelRuntime fromBytes(
      byte[] state, FeatureSpec spec, OptimizerConfig optimizer, int microBatch) {
    return RuntimeState.read(state, null, null, spec, optimizer, microBatch);
  }

  /**
   * Rebuilds a runtime from {@link #headBytes()} and every row and vocabulary entry {@link
   * #drainUnsaved} saved (the latest value of each key).
   */
  public static ModelRuntime fromHeadAndRows(
      byte[] head,
      Iterable<Map.Entry<Long, byte[]>> rows,
      Iterable<Map.Entry<Long, byte[]>> entries,
      FeatureSpec spec,
      OptimizerConfig optimizer,
      int microBatch) {
    return RuntimeState.read(head, rows, entries, spec, optimizer, microBatch);
  }
}
