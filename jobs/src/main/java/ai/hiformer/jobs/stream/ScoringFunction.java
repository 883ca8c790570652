package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.api.EventMapping;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.jobs.api.Rejected;
import ai.hiformer.jobs.api.Scored;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.CoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Scores every event on arrival with a read-only replica of its model ({@link ReplicaScoring}), kept current by the
 * learner's model updates in the same job, which reach every scoring subtask (input 2: one copy per subtask over a
 * round-robin edge; not a broadcast edge, which would make every checkpoint of this operator aligned). A training
 * step or a learner checkpoint never delays a score: they happen on another thread. (A scoring job that follows
 * the update topic uses {@link FollowingScorer} instead, which its events source is chained to.)
 *
 * <p>Waiting events (of a model without a whole replica yet) are the only state this function checkpoints. After a
 * restore the learner publishes a full update of every model it holds, and the replicas are rebuilt from it. Every
 * score names the replica's model version. Events whose features the spec cannot read go to {@link
 * ModelFunction#REJECTED}.
 *
 * @param <T> the event type
 */
public final class ScoringFunction<T> extends CoProcessFunction<T, PublishedUpdate, Scored>
    implements CheckpointedFunction {
  private static final long serialVersionUID = 1L;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ScoringFunction.class);

  private final LearnerOptions options;
  private final EventMapping<T> mapping;
  private final TypeInformation<T> eventType;

  private transient ReplicaScoring<T> scoring;
  private transient ListState<T> waitingState;
  private transient List<T> restoredWaiting;
  private transient ContextOutput output;

  public ScoringFunction(LearnerOptions options, EventMapping<T> mapping, TypeInformation<T> eventType) {
    this.options = options;
    this.mapping = mapping;
    this.eventType = eventType;
  }

  @Override
  public void initializeState(FunctionInitializationContext context) throws Exception {
    waitingState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("awaiting-model", eventType));
    restoredWaiting = new ArrayList<>();
    if (context.isRestored()) {
      for (T event : waitingState.get()) {
        restoredWaiting.add(event);
      }
    }
  }

  @Override
  public void open(OpenContext context) {
    scoring = new ReplicaScoring<>(options, mapping, getRuntimeContext().getMetricGroup(), restoredWaiting);
    restoredWaiting = null;
    output = new ContextOutput();
  }

  @Override
  public void processElement1(T event, Context ctx, Collector<Scored> out) {
    scoring.event(event, output.to(ctx, out));
  }

  @Override
  public void processElement2(PublishedUpdate published, Context ctx, Collector<Scored> out) {
    scoring.update(published, output.to(ctx, out));
  }

  @Override
  public void snapshotState(FunctionSnapshotContext context) throws Exception {
    waitingState.update(scoring.waiting());
  }

  @Override
  public void close() {
    if (scoring != null && !scoring.waitingModels().isEmpty()) {
      LOG.warn("closing with events of models {} still waiting for a model update (kept in checkpointed state)",
          scoring.waitingModels());
    }
  }

  /** The current record's collector and context as the scorer's output (one instance, not one per record). */
  private final class ContextOutput implements ReplicaScoring.Output {
    private Context ctx;
    private Collector<Scored> out;

    ContextOutput to(Context ctx, Collector<Scored> out) {
      this.ctx = ctx;
      this.out = out;
      return this;
    }

    @Override
    public void score(Scored score) {
      out.collect(score);
    }

    @Override
    public void reject(Rejected rejected) {
      ctx.output(ModelFunction.REJECTED, rejected);
    }
  }
}
