package ai.hiformer.jobs.operators;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.jobs.api.EventMapping;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.jobs.api.Rejected;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.learner.ModelUpdate;
import ai.hiformer.learner.ScoringReplica;
import ai.hiformer.model.ModelConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.CoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Scores every event on arrival with a read-only replica of its model ({@link ScoringReplica}), one
 * per model id per subtask, kept current by the learner's model updates, which reach every scoring
 * subtask (input 2: one copy per subtask over a round-robin edge; not a broadcast edge, which would
 * make every checkpoint of this operator aligned). A training step or a learner checkpoint never
 * delays a score: they happen on another thread.
 *
 * <p>An event whose model has no replica yet (a new model, or just after a restore) waits, in
 * arrival order, until its replica is whole: at the learner's first full update, or, for a scoring
 * job that follows the update topic ({@code job.role=score}), once it has assembled a base from its
 * slices. Waiting events are the only state this function checkpoints. The replicas themselves are
 * not checkpointed (that would multiply the model by the parallelism): after a restore of the job
 * that holds both, the learner publishes a full update of every model it holds, and the replicas
 * are rebuilt from it; a scoring job restored on its own rebuilds them from the topic's recent
 * past, which its update reader replays first ({@link ScoringJobUpdateReader}). Every score names
 * the replica's model version. Events whose features the spec cannot read go to {@link
 * ModelFunction#REJECTED}. Run by a {@link ScoringOperator}, it scores events in batches while they
 * arrive fast enough to fill one within {@code scoring.batch-wait-ms} (one pass reads the model
 * once for all), each on arrival otherwise.
 *
 * @param <T> the event type
 */
public final class ScoringFunction<T> extends CoProcessFunction<T, PublishedUpdate, Scored>
    implements CheckpointedFunction {
  private static final long serialVersionUID = 1L;
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ScoringFunction.class);

  private final LearnerOptions options;
  private final EventMapping<T> mapping;
  private final TypeInformation<T> eventType;

  private transient FeatureSpec spec;
  private transient List<String> taskNames;
  private transient ModelConfig modelConfig;
  private transient Map<String, ScoringReplica> replicas;
  private transient Map<String, ArrayDeque<T>> waiting;
  private transient ListState<T> waitingState;
  private transient List<T> restoredWaiting;
  private transient Counter scoredCounter;
  private transient Counter updatesApplied;
  private transient MetricGroup metricGroup;
  private transient org.apache.flink.metrics.Histogram applyMillis;
  private transient Batching batching; // set by ScoringOperator; null: each event scored on arrival
  private transient Map<String, StagedEvents<T>> staged; // per model, in arrival order
  private transient int stagedTotal;
  private transient int waitMillis;
  private transient double arrivalGapMillis; // a moving average of the time between events
  private transient long lastArrivalMillis;
  private transient Counter batchedCounter;

  /**
   * What scoring outside {@code processElement} needs from the operator: its output, and a timer.
   */
  interface Batching {
    /** Emits a score, with the event's record timestamp ({@code Long.MIN_VALUE}: none). */
    void emit(Scored scored, long timestamp);

    /** Calls {@link ScoringFunction#scoreStaged()} at processing time {@code atMillis}. */
    void scoreStagedAt(long atMillis);
  }

  /** The most events scored in one pass. */
  static final int MAX_BATCH = 64;

  public ScoringFunction(
      LearnerOptions options, EventMapping<T> mapping, TypeInformation<T> eventType) {
    this.options = options;
    this.mapping = mapping;
    this.eventType = eventType;
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    waitingState =
        context
            .getOperatorStateStore()
            .getListState(new ListStateDescriptor<>("awaiting-model", eventType));
    restoredWaiting = new ArrayList<>();
    if (context.isRestored()) {
      for (T event : waitingState.get()) {
        restoredWaiting.add(event);
      }
    }
  }

  @Override
  public void open(OpenContext context) {
    spec = options.spec();
    taskNames = spec.tasks().stream().map(ai.hiformer.features.spec.TaskSpec::name).toList();
    modelConfig = options.model();
    replicas = new HashMap<>();
    waiting = new LinkedHashMap<>();
    for (T event : restoredWaiting) {
      waiting.computeIfAbsent(mapping.modelId(event), k -> new ArrayDeque<>()).add(event);
    }
    restoredWaiting = null;
    staged = new HashMap<>();
    waitMillis = options.get(LearnerOptions.SCORING_BATCH_WAIT_MS);
    arrivalGapMillis = 1000;
    lastArrivalMillis = Long.MIN_VALUE;
    metricGroup = getRuntimeContext().getMetricGroup();
    scoredCounter = metricGroup.counter("eventsScored");
    updatesApplied = metricGroup.counter("modelUpdatesApplied");
    batchedCounter = metricGroup.counter("eventsScoredInBatches");
    metricGroup.gauge(
        "eventsAwaitingModel", () -> waiting.values().stream().mapToInt(ArrayDeque::size).sum());
    applyMillis =
        metricGroup.histogram(
            "modelUpdateApplyMillis",
            new org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram(1000));
  }

  @Override
  public void processElement1(T event, Context ctx, Collector<Scored> out) {
    if (!mapping.score(event)) {
      return; // an example only to learn from (labels joined after its event was scored)
    }
    String modelId = mapping.modelId(event);
    ScoringReplica replica = replicas.get(modelId);
    ArrayDeque<T> queue = waiting.get(modelId);
    if (replica == null || !replica.ready() || queue != null) {
      waiting.computeIfAbsent(modelId, k -> new ArrayDeque<>()).add(event);
      return;
    }
    long now = ctx.timerService().currentProcessingTime();
    if (batchingPays(now)) {
      stage(modelId, replica, event, ctx, now);
      return;
    }
    scoreStaged(modelId); // those staged before it go first
    score(modelId, replica, event, ctx, out);
  }

  /**
   * Whether events arrive fast enough to fill a batch of {@link ScoringReplica#MIN_BATCH} within
   * the wait: the time between arrivals averaged over about the last 16 (processing-time
   * milliseconds, so most arrivals at a high rate count 0).
   */
  private boolean batchingPays(long nowMillis) {
    if (batching == null || waitMillis == 0) {
      return false;
    }
    if (lastArrivalMillis != Long.MIN_VALUE) {
      arrivalGapMillis += (Math.max(0, nowMillis - lastArrivalMillis) - arrivalGapMillis) / 16;
    }
    lastArrivalMillis = nowMillis;
    return arrivalGapMillis * ScoringReplica.MIN_BATCH <= waitMillis;
  }

  private void stage(String modelId, ScoringReplica replica, T event, Context ctx, long now) {
    try {
      replica.stage(mapping.features(event), MAX_BATCH);
    } catch (BadRowException e) {
      reject(modelId, event, e, ctx);
      return;
    }
    Long timestamp = ctx.timestamp();
    staged
        .computeIfAbsent(modelId, k -> new StagedEvents<>())
        .add(event, timestamp == null ? Long.MIN_VALUE : timestamp);
    if (stagedTotal++ == 0) {
      batching.scoreStagedAt(now + waitMillis);
    }
    if (replica.staged() == MAX_BATCH) {
      scoreStaged(modelId);
    }
  }

  /**
   * Scores every staged event, model by model, and emits the scores (the operator calls it when the
   * wait is over, before a checkpoint barrier, and at the end of input).
   */
  void scoreStaged() {
    for (String modelId : staged.keySet()) {
      scoreStaged(modelId);
    }
  }

  private void scoreStaged(String modelId) {
    StagedEvents<T> events = staged.get(modelId);
    if (events == null || events.size() == 0) {
      return;
    }
    ScoringReplica replica = replicas.get(modelId);
    double[] probs = replica.scoreStaged();
    long now = System.currentTimeMillis();
    int tasks = taskNames.size();
    for (int i = 0; i < events.size(); i++) {
      T event = events.get(i);
      batching.emit(scored(modelId, replica, event, probs, i * tasks, now), events.timestamp(i));
    }
    scoredCounter.inc(events.size());
    batchedCounter.inc(events.size());
    stagedTotal -= events.size();
    events.clear();
  }

  /** Called by {@link ScoringOperator} once it is open. */
  void batching(Batching batching) {
    this.batching = batching;
  }

  @Override
  public void processElement2(PublishedUpdate published, Context ctx, Collector<Scored> out) {
    scoreStaged(published.modelId); // with the version they would have had on arrival
    long start = System.nanoTime();
    ScoringReplica replica =
        replicas.computeIfAbsent(
            published.modelId,
            id -> {
              ScoringReplica r = new ScoringReplica(spec, modelConfig);
              metricGroup.addGroup("model", id).gauge("replicaVersion", r::version);
              return r;
            });
    // The record's array is this function's own (deserialised for it), so the update may keep it.
    if (!replica.apply(ModelUpdate.wrapping(published.update))) {
      return; // an older epoch's, a repeat, or an increment before this replica's first full update
    }
    updatesApplied.inc();
    applyMillis.update((System.nanoTime() - start) / 1_000_000);
    if (!replica.ready()) {
      return; // assembling a base from its slices (a replica that follows the update topic from a
      // late start)
    }
    ArrayDeque<T> queue = waiting.remove(published.modelId);
    if (queue != null) {
      LOG.info(
          "model {}: replica at version {}, scoring the {} events that waited for it",
          published.modelId,
          replica.version(),
          queue.size());
      for (T event : queue) {
        score(published.modelId, replica, event, ctx, out);
      }
    }
  }

  private void score(
      String modelId, ScoringReplica replica, T event, Context ctx, Collector<Scored> out) {
    double[] probs;
    try {
      probs = replica.score(mapping.features(event));
    } catch (BadRowException e) {
      reject(modelId, event, e, ctx);
      return;
    }
    out.collect(scored(modelId, replica, event, probs, 0, System.currentTimeMillis()));
    scoredCounter.inc();
  }

  /** The score of {@code event}: its probabilities at {@code probs[from, from + tasks)}. */
  private Scored scored(
      String modelId, ScoringReplica replica, T event, double[] probs, int from, long nowMillis) {
    return Scored.of(
        modelId,
        mapping.requestId(event),
        replica.version(),
        taskNames,
        probs,
        from,
        mapping.eventTimeMillis(event),
        nowMillis);
  }

  private void reject(String modelId, T event, BadRowException e, Context ctx) {
    ctx.output(
        ModelFunction.REJECTED,
        new Rejected(modelId, mapping.requestId(event), e.getMessage(), mapping.payload(event)));
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    List<T> all = new ArrayList<>();
    for (ArrayDeque<T> queue : waiting.values()) {
      all.addAll(queue);
    }
    // The operator scores staged events before a barrier; any still here are kept as waiting.
    for (StagedEvents<T> events : staged.values()) {
      for (int i = 0; i < events.size(); i++) {
        all.add(events.get(i));
      }
    }
    waitingState.update(all);
  }

  @Override
  public void close() {
    if (waiting != null && !waiting.isEmpty()) {
      LOG.warn(
          "closing with events of models {} still waiting for a model update (kept in checkpointed state)",
          waiting.keySet());
    }
  }
}
