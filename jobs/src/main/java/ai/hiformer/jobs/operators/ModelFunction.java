package ai.hiformer.jobs.operators;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.jobs.api.EventMapping;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.jobs.api.Rejected;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.optim.OptimizerConfig;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Scores and learns, keyed by model id, for any event type that an {@link EventMapping} reads. The
 * model of each key lives as a working copy ({@link ModelRuntime}) in this subtask's memory and in
 * state: reading it deserialises once per key after a start or restore, and {@link ModelOperator}
 * writes every changed copy back when a checkpoint is taken, so state is touched once per
 * checkpoint rather than once per event. What is written follows what changed: the model's head
 * (dense weights, encoder, counters; {@link HeadStore}) and, in keyed state (RocksDB), only the
 * embedding rows and vocabulary values changed since the previous checkpoint ({@link #ROWS}, {@link
 * #VOCABULARY}). Output: one {@link Scored} per scored event; events whose features the spec cannot
 * read go to {@link #REJECTED}.
 *
 * @param <T> the event type
 */
public final class ModelFunction<T> extends KeyedProcessFunction<String, T, Scored> {
  private static final long serialVersionUID = 1L;

  /** Events whose features the spec could not read: the job keeps running. */
  public static final OutputTag<Rejected> REJECTED =
      new OutputTag<>("rejected", TypeInformation.of(Rejected.class));

  /**
   * The model update stream for servers and other readers, every {@code updates.interval-ms} per
   * model id: the changes, each followed by a slice of a base spread over {@code
   * updates.base-slices} updates.
   */
  public static final OutputTag<PublishedUpdate> UPDATES =
      new OutputTag<>("model-updates", TypeInformation.of(PublishedUpdate.class));

  /** The same updates for the job's own scoring replicas, without the base slices. */
  public static final OutputTag<PublishedUpdate> REPLICA_UPDATES =
      new OutputTag<>("replica-updates", TypeInformation.of(PublishedUpdate.class));

  /**
   * Where an earlier version kept the head of the current key's model; now {@link HeadStore} does.
   */
  public static final ValueStateDescriptor<byte[]> HEAD =
      new ValueStateDescriptor<>("model", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);

  /**
   * The embedding rows of the current key's model, one entry per row ({@link
   * ai.hiformer.learner.SavedRows}): with RocksDB's incremental checkpoints a checkpoint uploads
   * the rows changed since the previous one, while {@link HeadStore} holds the rest.
   */
  public static final MapStateDescriptor<Long, byte[]> ROWS =
      new MapStateDescriptor<>(
          "rows", Types.LONG, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);

  /**
   * The exact vocabularies' values of the current key's model, one entry per value, saved as the
   * rows are.
   */
  public static final MapStateDescriptor<Long, byte[]> VOCABULARY =
      new MapStateDescriptor<>(
          "vocabulary", Types.LONG, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);

  private final LearnerOptions config;
  private final EventMapping<T> mapping;
  private transient ValueState<byte[]> state;
  private transient HeadStore heads;
  private transient ValueState<byte[]> exchangeState;
  private transient LearnerPeers peers; // learn.parallelism > 1
  private transient java.util.function.BiConsumer<String, byte[]> peerSender;
  private transient long epoch;
  private transient MapState<Long, byte[]> rowState;
  private transient MapState<Long, byte[]> entryState;
  private transient Map<String, ModelRuntime> runtimes;
  private transient Set<String> dirty;
  private transient FeatureSpec spec;
  private transient java.util.List<String> taskNames;
  private transient ModelConfig modelConfig;
  private transient OptimizerConfig optimizer;
  private transient Counter scoredCounter;
  private transient Counter trainedCounter;
  private transient MetricGroup metricGroup;
  private transient Set<String> registered;
  private transient IdleFlush idleFlush;
  private transient int microBatch;
  private transient UpdatePublisher publisher;
  private transient org.apache.flink.metrics.Histogram trainMillis;
  private transient ProgressLog progress;
  private transient boolean replicasScore; // scoring.parallelism > 0: this only learns

  public ModelFunction(LearnerOptions options, EventMapping<T> mapping) {
    this.config = options;
    this.mapping = mapping;
  }

  @Override
  public void open(OpenContext context) {
    state = getRuntimeContext().getState(HEAD);
    rowState = getRuntimeContext().getMapState(ROWS);
    entryState = getRuntimeContext().getMapState(VOCABULARY);
    runtimes = new HashMap<>();
    dirty = new HashSet<>();
    registered = new HashSet<>();
    idleFlush = new IdleFlush(config.get(LearnerOptions.FLUSH_IDLE_MS));
    microBatch = config.get(LearnerOptions.MICRO_BATCH);
    int learners = config.get(LearnerOptions.PARALLELISM);
    if (learners > 1) {
      peers = new LearnerPeers(learners, config);
      peers.epoch(epoch);
      exchangeState =
          getRuntimeContext()
              .getState(
                  new ValueStateDescriptor<>(
                      "exchange", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
      // The micro-batch stays the model's step: each learner steps on its share of it.
      microBatch = Math.max(1, microBatch / learners);
    }
    publisher = new UpdatePublisher(config);
    spec = config.spec();
    progress = new ProgressLog(spec.tasks().get(0).name());
    taskNames = spec.tasks().stream().map(ai.hiformer.features.spec.TaskSpec::name).toList();
    replicasScore = config.get(LearnerOptions.SCORING_PARALLELISM) > 0;
    if (replicasScore) {
      // open() runs on the task thread, which also trains and takes the synchronous part of each
      // checkpoint.
      ThreadNiceness.lowerCurrentThread(config.get(LearnerOptions.LEARN_NICENESS));
    }
    modelConfig = config.model();
    optimizer = config.optimizer();
    metricGroup = getRuntimeContext().getMetricGroup();
    scoredCounter = metricGroup.counter("eventsScored");
    trainedCounter = metricGroup.counter("examplesTrained");
    trainMillis =
        metricGroup.histogram(
            "trainBatchMillis",
            new org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram(1000));
  }

  /** Stops the learners' step threads ({@code learn.threads}). */
  @Override
  public void close() throws Exception {
    if (runtimes != null) {
      for (ModelRuntime r : runtimes.values()) {
        r.learner().close();
      }
    }
    super.close();
  }

  /**
   * The epoch of this run ({@link LearnerPeers#epoch}), set by the operator before any key is read.
   */
  void epoch(long epoch) {
    this.epoch = epoch;
  }

  long epoch() {
    return epoch;
  }

  /** Where the models' heads are kept, set by the operator before any key is read. */
  void heads(HeadStore heads) {
    this.heads = heads;
  }

  @Override
  public void processElement(T event, Context ctx, Collector<Scored> out) throws Exception {
    String key = ctx.getCurrentKey();
    ModelRuntime runtime = runtime(key);
    double[] probs;
    long versionBefore = runtime.version();
    long time = mapping.eventTimeMillis(event);
    try {
      if (replicasScore || !mapping.score(event)) {
        // With scoring replicas, an event to score only tells the learner that its model exists
        // (ScoringFunction scored it already, and reports it if it is malformed).
        if (!mapping.labels(event).isEmpty()) {
          runtime.learnOnly(
              mapping.features(event),
              mapping.labels(event),
              time,
              mapping.requestId(event),
              mapping.latePositive(event)
                  ? ai.hiformer.learner.Arrival.LATE_POSITIVE
                  : mapping.score(event)
                      ? ai.hiformer.learner.Arrival.INLINE
                      : ai.hiformer.learner.Arrival.JOINED);
        }
        afterLearning(key, runtime, versionBefore, ctx);
        return;
      }
      probs =
          runtime.scoreAndLearn(
              mapping.features(event), mapping.labels(event), time, mapping.requestId(event));
    } catch (BadRowException e) {
      if (!replicasScore || !mapping.score(event)) {
        ctx.output(
            REJECTED,
            new Rejected(
                LearnerPeers.modelIdOf(key),
                mapping.requestId(event),
                e.getMessage(),
                mapping.payload(event)));
      }
      return;
    }
    out.collect(
        Scored.of(
            key,
            mapping.requestId(event),
            versionBefore,
            taskNames,
            probs,
            0,
            time,
            System.currentTimeMillis()));
    scoredCounter.inc();
    afterLearning(key, runtime, versionBefore, ctx);
  }

  private void afterLearning(String key, ModelRuntime runtime, long versionBefore, Context ctx) {
    if (runtime.version() != versionBefore) {
      trainedCounter.inc(microBatch);
      trainMillis.update(runtime.lastTrainMillis());
    }
    progress.maybeLog(runtimes, peers);
    dirty.add(key);
    if (peers != null) {
      peers.send(key, runtime, peerSender);
    }
    long first = publisher.firstTimer(key, ctx.timerService().currentProcessingTime());
    if (first != UpdatePublisher.NONE) {
      ctx.timerService().registerProcessingTimeTimer(first);
    }
    if (runtime.pendingExamples() > 0 || peers != null && peers.idleWork(key, runtime)) {
      // An idle flush: a partial micro-batch is trained (and, with several learners, what was
      // learnt sent, or a waiting peer answered) once no event arrived for flush-idle-ms. Each
      // timer is registered once.
      long at = idleFlush.afterEvent(key, ctx.timerService().currentProcessingTime());
      if (at != IdleFlush.NONE) {
        ctx.timerService().registerProcessingTimeTimer(at);
      }
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<Scored> out) {
    if (publisher.isUpdateTimer(timestamp)) {
      // Also a timer restored from a checkpoint: the restored model's first update is full, which
      // is how scoring replicas, rebuilt empty after a restore, get their model back without
      // waiting for an event.
      String key = ctx.getCurrentKey();
      publish(key, runtime(key), ctx::output);
      ctx.timerService().registerProcessingTimeTimer(timestamp + publisher.intervalMs());
    }
    ModelRuntime runtime = runtime(ctx.getCurrentKey());
    if (runtime.pendingExamples() > 0) {
      // The first timer after a restore starts the key's idle clock, instead of flushing the
      // restored partial micro-batch at once.
      long at = idleFlush.afterRestore(ctx.getCurrentKey(), timestamp);
      if (at != IdleFlush.NONE) {
        ctx.timerService().registerProcessingTimeTimer(at);
        return;
      }
    }
    if (!idleFlush.idle(ctx.getCurrentKey(), timestamp)) {
      return; // events still arriving: a later timer decides
    }
    int n = runtime.pendingExamples();
    if (n > 0 && runtime.train()) {
      trainedCounter.inc(n);
      dirty.add(ctx.getCurrentKey());
    }
    if (peers != null) { // idle: what it learnt since its last delta goes to its peers
      peers.flush(ctx.getCurrentKey(), runtime, peerSender);
    }
  }

  /**
   * Learner {@code key}'s (the operator's current key) peer delta, sent at {@code sentMillis}, read
   * at processing time {@code nowMillis}: held, what it completes applied, an answer sent if due.
   */
  void receivePeer(String key, byte[] delta, long sentMillis, long nowMillis) {
    ModelRuntime runtime = runtime(key);
    peers.receive(key, delta, sentMillis);
    dirty.add(key);
    peers.answer(key, runtime, idleFlush.idle(key, nowMillis), peerSender);
  }

  /** Where this learner's deltas go (the operator's {@link ai.hiformer.jobs.api.PeerChannel}). */
  void peerSender(java.util.function.BiConsumer<String, byte[]> sender) {
    this.peerSender = sender;
  }

  private ModelRuntime runtime(String key) {
    ModelRuntime r = runtimes.get(key);
    if (r != null) {
      return r;
    }
    try {
      byte[] bytes = heads.read(key, state);
      r =
          bytes == null
              ? new ModelRuntime(spec, modelConfig, optimizer, microBatch)
              : ModelRuntime.fromHeadAndRows(
                  bytes, rowState.entries(), entryState.entries(), spec, optimizer, microBatch);
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the saved model of " + key, e);
    }
    RuntimeSettings.apply(config, key, r);
    runtimes.put(key, r);
    if (peers != null) {
      try {
        peers.attach(key, r, exchangeState.value());
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot read the exchange state of " + key, e);
      }
    }
    publisher.restarted(key); // a new epoch: replicas start again from a full update
    registerGauges(key, r);
    return r;
  }

  /** Emits the update due for {@code key} ({@link UpdatePublisher#publish}). */
  void publish(
      String key,
      ModelRuntime r,
      java.util.function.BiConsumer<OutputTag<PublishedUpdate>, PublishedUpdate> out) {
    publisher.publish(key, r, peers == null ? 0 : peers.applied(key), out);
  }

  private void registerGauges(String key, ModelRuntime r) {
    if (registered.add(key)) {
      MetricGroup group = metricGroup.addGroup("model", LearnerPeers.nameOf(key));
      RuntimeGauges.register(group, r, spec);
      if (peers != null) {
        group.gauge("exchangesApplied", () -> peers.applied(key));
        group.gauge("examplesMerged", () -> peers.mergedExamples(key));
        group.gauge("exchangeWaitMillis", () -> peers.waitedMillis(key));
        group.gauge("exchangeDeliveryMillis", () -> peers.deliveryMillis(key));
      }
    }
  }

  /** Keys whose working copy changed since it was last written to state. */
  Set<String> dirtyKeys() {
    return dirty;
  }

  /** Writes the working copy of the current key to keyed state (the operator set the key). */
  void writeBack(String key) throws Exception {
    ModelRuntime r = runtimes.get(key);
    if (r != null) {
      heads.write(key, r.headBytes(), state);
      r.drainUnsaved(rowState::put, entryState::put);
      if (peers != null) {
        exchangeState.update(peers.state(key));
      }
    }
  }

  LearnerOptions options() {
    return config;
  }

  /** The learners' exchange, with {@code learn.parallelism} > 1 (else null; for tests). */
  LearnerPeers peers() {
    return peers;
  }

  /** The live working copies (for the embedded runner's progress line and tests). */
  Map<String, ModelRuntime> runtimes() {
    return runtimes;
  }
}
