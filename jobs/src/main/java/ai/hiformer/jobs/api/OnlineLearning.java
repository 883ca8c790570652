package ai.hiformer.jobs.api;

import ai.hiformer.jobs.stream.ModelFunction;
import ai.hiformer.jobs.stream.ModelOperator;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * Online learning and scoring as a step of any Flink job, on the user's own event type:
 *
 * <pre>{@code
 * DataStream<Click> clicks = ...;
 * SingleOutputStreamOperator<Scored> scores = OnlineLearning.scoreAndLearn(clicks, new ClickMapping(),
 *     LearnerOptions.builder().spec(specJson).modelConfig(ModelConfig.builder(ModelKind.HIFORMER).build()).build());
 * DataStream<Rejected> rejected = scores.getSideOutput(OnlineLearning.REJECTED);
 * }</pre>
 *
 * Every event is scored on arrival with its model id's newest model; labelled events are learned from in
 * micro-batches (predict, then train); the models live in keyed state and are checkpointed with the job, and
 * snapshots for serving are written once their checkpoint completes (when {@link LearnerOptions} names a folder).
 * The operator's uid is {@code "model"}; savepoints keep it.
 */
public final class OnlineLearning {
  /** Events whose features the spec could not read. */
  public static final org.apache.flink.util.OutputTag<Rejected> REJECTED = ModelFunction.REJECTED;

  /** The learner's model updates ({@code updates.interval-ms} > 0): for scoring replicas and servers. */
  public static final org.apache.flink.util.OutputTag<PublishedUpdate> UPDATES = ModelFunction.UPDATES;

  private OnlineLearning() {}

  /** Keys {@code events} by model id, scores each one and learns from the labelled ones. */
  public static <T> SingleOutputStreamOperator<Scored> scoreAndLearn(DataStream<T> events, EventMapping<T> mapping,
      LearnerOptions options) {
    return events.keyBy(new ModelIdOf<>(mapping), Types.STRING)
        .transform("score + learn", TypeInformation.of(Scored.class),
            new ModelOperator<>(new ModelFunction<>(options, mapping)))
        .uid("model");
  }

  /** The key: the mapping's model id (a class, so that Flink knows the key type without a lambda's erasure). */
  private static final class ModelIdOf<T> implements KeySelector<T, String> {
    private static final long serialVersionUID = 1L;
    private final EventMapping<T> mapping;

    ModelIdOf(EventMapping<T> mapping) {
      this.mapping = mapping;
    }

    @Override
    public String getKey(T event) {
      return mapping.modelId(event);
    }
  }
}
