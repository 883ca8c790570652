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
 * ModelFunction#REJECTED}.
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
    metricGroup = getRuntimeContext().getMetricGroup();
    scoredCounter = metricGroup.counter("eventsScored");
    updatesApplied = metricGroup.counter("modelUpdatesApplied");
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
    score(modelId, replica, event, ctx, out);
  }

  @Override
  public void processElement2(PublishedUpdate published, Context ctx, Collector<Scored> out) {
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
      ctx.output(
          ModelFunction.REJECTED,
          new Rejected(modelId, mapping.requestId(event), e.getMessage(), mapping.payload(event)));
      return;
    }
    out.collect(
        Scored.of(
            modelId,
            mapping.requestId(event),
            replica.version(),
            taskNames,
            probs,
            mapping.eventTimeMillis(event),
            System.currentTimeMillis()));
    scoredCounter.inc();
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    List<T> all = new ArrayList<>();
    for (ArrayDeque<T> queue : waiting.values()) {
      all.addAll(queue);
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
