package ai.hiformer.jobs.stream;

import ai.hiformer.features.spec.TaskSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Joins impressions with their labels by model id and request id (docs/ARCHITECTURE.md §1, JOIN;
 * {@link #key}). An impression waits for its labels until {@code join.window-ms} of processing time
 * after it arrived; it is released as a training example as soon as every task has a label, or when
 * the window closes, tasks still without a label then counting as negatives. Labels may arrive
 * before their impression; they wait under the same window and are dropped (counted) if no
 * impression comes. Impression and labels live in keyed state, so a restore continues every open
 * window.
 */
public final class LabelJoin
    extends KeyedCoProcessFunction<String, ValidEvent, ValidLabel, ValidEvent> {
  /**
   * The join key: model id and request id, so that two models (markets, experiment arms) that
   * happen to use the same request ids never receive each other's labels. The model id's length
   * comes first, so that no two pairs share a key whatever characters the ids hold.
   */
  public static String key(String modelId, String requestId) {
    return modelId.length() + ":" + modelId + requestId;
  }

  private final JobConfig config;
  private transient ValueState<ValidEvent> impression;

  /** Set once the example was released: late labels and duplicate impressions are then ignored. */
  private transient ValueState<Boolean> released;

  private transient ValueState<Long> deadline;
  private transient MapState<String, Double> labels;
  private transient List<String> tasks;
  private transient Counter joined;
  private transient Counter timedOut;
  private transient Counter orphanLabels;

  public LabelJoin(JobConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext context) {
    impression =
        getRuntimeContext().getState(new ValueStateDescriptor<>("impression", ValidEvent.class));
    released = getRuntimeContext().getState(new ValueStateDescriptor<>("released", Types.BOOLEAN));
    deadline = getRuntimeContext().getState(new ValueStateDescriptor<>("deadline", Types.LONG));
    labels =
        getRuntimeContext()
            .getMapState(new MapStateDescriptor<>("labels", Types.STRING, Types.DOUBLE));
    tasks = config.spec().tasks().stream().map(TaskSpec::name).toList();
    joined = getRuntimeContext().getMetricGroup().counter("examplesJoined");
    timedOut = getRuntimeContext().getMetricGroup().counter("impressionsWindowClosed");
    orphanLabels = getRuntimeContext().getMetricGroup().counter("orphanLabels");
  }

  @Override
  public void processElement1(ValidEvent event, Context ctx, Collector<ValidEvent> out)
      throws Exception {
    if (impression.value() != null || released.value() != null) {
      return; // a duplicate impression of the same request (or one already released): the first
      // counts
    }
    impression.update(event);
    armTimer(ctx);
    releaseIfComplete(out, false);
  }

  @Override
  public void processElement2(ValidLabel label, Context ctx, Collector<ValidEvent> out)
      throws Exception {
    if (released.value() != null) {
      return; // the example was released already; a late label is ignored
    }
    labels.put(label.task, label.value);
    armTimer(ctx);
    releaseIfComplete(out, false);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ValidEvent> out)
      throws Exception {
    Long d = deadline.value();
    if (d == null || timestamp < d) {
      return;
    }
    if (released.value() == null) {
      if (impression.value() == null) {
        orphanLabels.inc();
      } else {
        timedOut.inc();
        releaseIfComplete(out, true);
      }
    }
    impression.clear();
    released.clear();
    labels.clear();
    deadline.clear();
  }

  private void armTimer(Context ctx) throws Exception {
    if (deadline.value() == null) {
      long d = ctx.timerService().currentProcessingTime() + config.get(JobConfig.LABEL_WINDOW_MS);
      deadline.update(d);
      ctx.timerService().registerProcessingTimeTimer(d);
    }
  }

  private void releaseIfComplete(Collector<ValidEvent> out, boolean windowClosed) throws Exception {
    ValidEvent event = impression.value();
    if (event == null) {
      return;
    }
    Map<String, Double> values = new HashMap<>();
    for (String t : tasks) {
      Double v = labels.get(t);
      if (v == null && !windowClosed) {
        return; // still waiting for this task
      }
      values.put(t, v == null ? 0.0 : v);
    }
    event.labels = values;
    event.labelled = true;
    event.trainOnly = true;
    out.collect(event);
    joined.inc();
    // Keep a released marker until the deadline, so late labels and duplicate impressions of this
    // request are recognised; the timer then clears the key.
    impression.clear();
    released.update(true);
    labels.clear();
  }
}
