package ai.hiformer.jobs.stream;

import ai.hiformer.features.spec.TaskSpec;
import ai.hiformer.learner.join.LatePositiveKeys;
import ai.hiformer.learner.join.PendingExamples;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Joins impressions with the labels that arrive later on their own topic, keyed by model id
 * (docs/ARCHITECTURE.md §1, JOIN). Per model, {@link PendingExamples} holds the waiting impressions
 * in memory, each as the few bytes learning needs ({@link ImpressionCodec}); an impression is
 * released as a training example as soon as every task has a label, or when its window ({@code
 * join.window-ms}) closes, tasks still without a label then counting as negatives.
 *
 * <p>Time ({@code join.time}): {@code event} measures windows in event time (an impression's and a
 * label's own times, closed by the watermarks of the events and labels topics), and releases every
 * example as the watermark passes, in order of time (a complete example at its last label's time),
 * so that a replay or a backfill feeds the learner the same examples in the same order as the live
 * stream did; {@code processing} measures windows from arrival, by the wall clock, and releases a
 * complete example at once.
 *
 * <p>Why keyed by model id rather than by request: one timer per time bucket and model (not one per
 * request), no state access per record (the store is in memory; {@link LabelJoinOperator} writes
 * the entries changed since the previous checkpoint to keyed state, so an impression released
 * between two checkpoints never reaches RocksDB), and the impression crosses the network as often
 * as with labels inside the events. A model's join runs on one subtask, as its learner does.
 */
public final class LabelJoin
    extends KeyedCoProcessFunction<String, ValidEvent, ValidLabel, ValidEvent> {
  private static final long serialVersionUID = 1L;

  private final JobConfig config;
  private final boolean eventTime;
  private final long windowMillis;
  private final long attributionMillis;
  private final boolean latePositives;

  private transient MapState<String, byte[]> saved;
  private transient Map<String, PendingExamples> stores;
  private transient Map<String, Long> nextTimer;
  private transient Set<String> changedModels;
  private transient ImpressionCodec codec;
  private transient List<String> tasks;
  private transient Map<String, Integer> taskIndex;
  private transient Counter joined;
  private transient Counter timedOut;
  private transient Counter orphanLabels;
  private transient long impressionsWatermark;
  private transient Counter lateLabels;
  private transient Counter duplicateImpressions;
  private transient ai.hiformer.learner.join.ReleaseSink release;
  private transient String releaseModel;
  private transient Collector<ValidEvent> releaseOut;
  private transient long releaseTime; // the time the store was advanced to (a closed window's end)
  private transient LateAttribution attribution; // window-fnw only
  private transient Counter latePositivesJoined;
  private transient Counter attributionExpired;
  private transient Counter labelsAfterAttribution;

  public LabelJoin(JobConfig config) {
    this.config = config;
    this.eventTime = config.get(JobConfig.JOIN_TIME).equals("event");
    this.windowMillis = config.get(JobConfig.LABEL_WINDOW_MS);
    this.attributionMillis = config.get(JobConfig.JOIN_ATTRIBUTION_WINDOW_MS);
    this.latePositives = config.get(JobConfig.JOIN_MODE).equals("window-fnw");
  }

  @Override
  public void open(OpenContext context) {
    impressionsWatermark = Long.MIN_VALUE; // none yet: a restore starts the watermarks anew
    saved =
        getRuntimeContext()
            .getMapState(
                new MapStateDescriptor<>(
                    "pending-examples",
                    Types.STRING,
                    PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    stores = new HashMap<>();
    nextTimer = new HashMap<>();
    changedModels = new HashSet<>();
    codec = new ImpressionCodec(config.spec());
    release = this::release;
    tasks = config.spec().tasks().stream().map(TaskSpec::name).toList();
    taskIndex = new HashMap<>();
    for (int i = 0; i < tasks.size(); i++) {
      taskIndex.put(tasks.get(i), i);
    }
    var metrics = getRuntimeContext().getMetricGroup();
    joined = metrics.counter("examplesJoined");
    timedOut = metrics.counter("impressionsWindowClosed");
    orphanLabels = metrics.counter("orphanLabels");
    lateLabels = metrics.counter("lateLabels");
    duplicateImpressions = metrics.counter("duplicateImpressions");
    metrics.gauge("pendingImpressions", this::pendingImpressions);
    metrics.gauge("pendingImpressionBytes", this::pendingImpressionBytes);
    if (latePositives) {
      attribution = new LateAttribution(getRuntimeContext(), windowMillis, attributionMillis);
      latePositivesJoined = metrics.counter("latePositivesJoined");
      attributionExpired = metrics.counter("attributableImpressionsExpired");
      labelsAfterAttribution = metrics.counter("labelsAfterAttribution");
      metrics.gauge("attributableImpressions", attribution::held);
      metrics.gauge("attributableImpressionBytes", attribution::heldBytes);
    }
  }

  @Override
  public void processElement1(ValidEvent impression, Context ctx, Collector<ValidEvent> out)
      throws Exception {
    String model = ctx.getCurrentKey();
    PendingExamples store = store(model);
    long time = eventTime ? impression.eventTimeMillis : now(ctx.timerService());
    store.impression(impression.requestId, time, codec.encode(impression), sink(model, out));
    touched(model, store, ctx.timerService());
  }

  @Override
  public void processElement2(ValidLabel label, Context ctx, Collector<ValidEvent> out)
      throws Exception {
    String model = ctx.getCurrentKey();
    PendingExamples store = store(model);
    long time = eventTime ? label.timeMillis : now(ctx.timerService());
    int task = taskIndex.get(label.task);
    boolean positive = label.value == 1.0;
    if (attribution != null
        && !store.waitsForLabels(label.requestId)
        && (positive
            ? latePositive(model, store, label.requestId, task, time, out)
            : attribution.lateNegative(model, label.requestId, task, time))) {
      changedModels.add(model);
      touched(model, store, ctx.timerService());
      return;
    }
    store.label(label.requestId, task, positive, time, sink(model, out));
    touched(model, store, ctx.timerService());
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ValidEvent> out)
      throws Exception {
    String model = ctx.getCurrentKey();
    PendingExamples store = store(model);
    long now = eventTime ? ctx.timerService().currentWatermark() : now(ctx.timerService());
    releaseTime = Math.max(timestamp, now);
    store.impressionsClock(eventTime ? impressionsWatermark : Long.MAX_VALUE);
    store.advanceTo(releaseTime, sink(model, out));
    if (attribution != null) {
      attribution.expire(model, releaseTime);
      changedModels.add(model);
    }
    nextTimer.remove(model);
    touched(model, store, ctx.timerService());
  }

  /**
   * A positive for a request the join does not hold: if its impression is held for late labels and
   * the task still open, the example is learned again once time reaches the label (in order, as any
   * joined example); returns whether the label was taken.
   */
  private boolean latePositive(
      String model,
      PendingExamples store,
      String requestId,
      int task,
      long time,
      Collector<ValidEvent> out)
      throws Exception {
    byte[] impression = attribution.latePositive(model, requestId, task, time);
    if (impression == null) {
      return false;
    }
    long bit = 1L << task;
    store.labelledExample(
        LatePositiveKeys.of(requestId, task), time, impression, bit, bit, sink(model, out));
    return true;
  }

  /** The impressions' input's own watermark ({@link LabelJoinOperator#processWatermark1}). */
  void impressionsWatermark(long timeMillis) {
    impressionsWatermark = Math.max(impressionsWatermark, timeMillis);
  }

  /** Models whose store changed since {@link #writeBack} last ran for them. */
  Set<String> changedModels() {
    return changedModels;
  }

  /**
   * Writes {@code model}'s entries changed since the previous checkpoint to keyed state; the
   * operator has set the current key to {@code model}.
   */
  void writeBack(String model) throws Exception {
    PendingExamples store = stores.get(model);
    if (store == null) {
      return;
    }
    // The puts go as one map: RocksDB's map state writes a map in write batches, where one put at a
    // time paid a write of its own (the join's largest cost at checkpoints, put by put).
    List<PendingExamples.Change> changes = store.drainChanges();
    Map<String, byte[]> puts = new HashMap<>(2 * changes.size());
    for (PendingExamples.Change c : changes) {
      if (c.entry() == null) {
        saved.remove(c.requestId());
      } else {
        puts.put(c.requestId(), c.entry());
      }
    }
    if (!puts.isEmpty()) {
      saved.putAll(puts);
    }
    if (attribution != null) {
      attribution.writeBack(model);
    }
  }

  /** The model's store, read back from keyed state the first time a restored job touches it. */
  private PendingExamples store(String model) throws Exception {
    PendingExamples store = stores.get(model);
    if (store == null) {
      // In event time, releases happen as the watermark passes, in time order: a replay then feeds
      // the learner the same examples in the same order as the live stream did.
      store =
          new PendingExamples(
              windowMillis,
              PendingExamples.bucketFor(windowMillis),
              tasks.size(),
              eventTime,
              attribution != null);
      for (Map.Entry<String, byte[]> e : saved.entries()) {
        store.restore(e.getKey(), e.getValue());
      }
      stores.put(model, store);
    }
    return store;
  }

  /**
   * Keeps one timer pending per model, at the end of its earliest bucket (or when held impressions
   * expire); counts to metrics.
   */
  private void touched(String model, PendingExamples store, TimerService timers) throws Exception {
    if (store.hasChanges()) {
      changedModels.add(model);
    }
    long next = store.nextBucketEnd();
    if (attribution != null) {
      next = Math.min(next, attribution.nextDue(model));
      long[] c = attribution.drainCounts();
      attributionExpired.inc(c[0]);
      latePositivesJoined.inc(c[1]);
      labelsAfterAttribution.inc(c[2]);
    }
    if (next != Long.MAX_VALUE && next < nextTimer.getOrDefault(model, Long.MAX_VALUE)) {
      if (eventTime) {
        timers.registerEventTimeTimer(next);
      } else {
        timers.registerProcessingTimeTimer(next);
      }
      nextTimer.put(model, next);
    }
    // The store counts since the last look; the counters add that.
    ai.hiformer.learner.join.JoinCounts c = store.counts();
    timedOut.inc(c.windowClosed);
    orphanLabels.inc(c.orphanLabels);
    lateLabels.inc(c.lateLabels);
    duplicateImpressions.inc(c.duplicateImpressions);
    joined.inc(c.joined);
    c.clear();
  }

  /**
   * The one sink of every call, pointed at the current model and collector: no sink is allocated
   * per record.
   */
  private ai.hiformer.learner.join.ReleaseSink sink(String model, Collector<ValidEvent> out) {
    releaseModel = model;
    releaseOut = out;
    return release;
  }

  private void release(
      String requestId,
      byte[] bytes,
      long labelled,
      long positive,
      boolean closed,
      long[] latePositives) {
    boolean late = LatePositiveKeys.isLatePositive(requestId);
    if (late) {
      requestId = LatePositiveKeys.requestIdOf(requestId);
    } else if (closed && attribution != null) {
      // Held for the tasks still open; a late positive that came while it waited is released by
      // the store next, so its task is decided already.
      long open = ~labelled & (tasks.size() == 64 ? -1L : (1L << tasks.size()) - 1);
      for (int t = 0; latePositives != null && t < tasks.size(); t++) {
        if (latePositives[t] != Long.MIN_VALUE) {
          open &= ~(1L << t);
        }
      }
      if (open != 0) {
        try {
          attribution.hold(releaseModel, requestId, windowDeadline(bytes), open, bytes);
        } catch (Exception e) {
          throw new IllegalStateException("cannot keep " + requestId + " for late labels", e);
        }
      }
    }
    // The learner reads the columns from the bytes (ImpressionRow): no maps on the way there.
    ValidEvent e = new ValidEvent();
    e.modelId = releaseModel;
    e.requestId = requestId;
    e.eventTimeMillis = ImpressionCodec.eventTime(bytes);
    e.impression = bytes;
    Map<String, Double> labels = new HashMap<>(tasks.size() * 2);
    for (int t = 0; t < tasks.size(); t++) {
      if (!late || (labelled & (1L << t)) != 0) { // a late positive: only its late tasks
        labels.put(tasks.get(t), (positive & (1L << t)) != 0 ? 1.0 : 0.0);
      }
    }
    e.labels = labels;
    e.labelled = true;
    e.trainOnly = true;
    e.latePositive = late;
    releaseOut.collect(e);
  }

  /**
   * The end of a released impression's window: in event time its own (the impression's time plus
   * the window, rounded up to the time bucket as the store rounds it), so that a watermark jumping
   * far ahead does not stretch how long it is held; in processing time, now.
   */
  private long windowDeadline(byte[] impression) {
    if (!eventTime) {
      return releaseTime;
    }
    long bucket = PendingExamples.bucketFor(windowMillis);
    return Math.floorDiv(ImpressionCodec.eventTime(impression) + windowMillis + bucket - 1, bucket)
        * bucket;
  }

  private static long now(TimerService timers) {
    return timers.currentProcessingTime();
  }

  private long pendingImpressions() {
    long n = 0;
    for (PendingExamples s : stores.values()) {
      n += s.size();
    }
    return n;
  }

  private long pendingImpressionBytes() {
    long n = 0;
    for (PendingExamples s : stores.values()) {
      n += s.impressionBytes();
    }
    return n;
  }
}
