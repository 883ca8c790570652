package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.api.EventMapping;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.jobs.api.Rejected;
import ai.hiformer.jobs.api.Scored;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;

/**
 * A scoring subtask of a job that only scores ({@code job.role=score}): scores its events with replicas ({@link
 * ReplicaScoring}) that it keeps current itself, by following the model-update topic on a thread of its own ({@link
 * UpdateFollower}), whose whole updates it applies on the task thread, between events (the task's mailbox).
 *
 * <p>So the operator has one input, the events, and the events source at the same parallelism is chained to it:
 * one task thread takes an event from the source's fetcher, decodes it, scores it and hands the score to the
 * sink, with no network buffer, thread hand-off or copy of the event in between, and checkpoints start at the
 * source (nothing to align). Before session 15 the updates came from a Kafka source of their own over a network
 * input, which kept the events source and its decoder in a task of their own: on this project's two-core benchmark
 * every thread an event crossed queued for a core (docs/BENCHMARKS.md, session 14).
 *
 * <p>Waiting events (of a model without a whole replica yet) are the only state checkpointed ({@code
 * awaiting-model}, as the two-input scorer writes it). The update topic's position is not: after a restore the
 * follower replays the topic's recent past, from which every model can be made whole.
 *
 * @param <T> the event type
 */
public final class FollowingScorer<T> extends AbstractStreamOperator<Scored> implements OneInputStreamOperator<T, Scored> {
  private static final long serialVersionUID = 1L;

  private final LearnerOptions options;
  private final EventMapping<T> mapping;
  private final TypeInformation<T> eventType;
  private final Properties client;
  private final String topic;
  private final long cycleMillis;

  private transient ReplicaScoring<T> scoring;
  private transient ListState<T> waitingState;
  private transient List<T> restoredWaiting;
  private transient RecordOutput scores;
  private transient UpdateFollower follower;

  /**
   * @param client Kafka client settings with {@code bootstrap.servers}, for reading the update topic
   * @param cycleMillis a base cycle on the topic: {@code updates.base-slices × updates.interval-ms}
   */
  public FollowingScorer(LearnerOptions options, EventMapping<T> mapping, TypeInformation<T> eventType, Properties client,
      String topic, long cycleMillis) {
    this.options = options;
    this.mapping = mapping;
    this.eventType = eventType;
    this.client = client;
    this.topic = topic;
    this.cycleMillis = cycleMillis;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    waitingState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("awaiting-model", eventType));
    restoredWaiting = new ArrayList<>();
    if (context.isRestored()) {
      for (T event : waitingState.get()) {
        restoredWaiting.add(event);
      }
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    scoring = new ReplicaScoring<>(options, mapping, getMetricGroup(), restoredWaiting);
    restoredWaiting = null;
    scores = new RecordOutput();
    MailboxExecutor mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(TaskMailbox.MIN_PRIORITY);
    follower = new UpdateFollower(client, topic, cycleMillis,
        update -> mailbox.execute(() -> scoring.update(update, scores.untimed()), "model update %s", update.modelId),
        failure -> mailbox.execute(() -> {
          throw new IllegalStateException("following the model-update topic " + topic + " failed", failure);
        }, "model-update follower failed"),
        "model-update follower " + getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks());
    follower.start();
  }

  @Override
  public void processElement(StreamRecord<T> element) {
    scoring.event(element.getValue(), scores.timedAs(element));
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    waitingState.update(scoring.waiting());
  }

  @Override
  public void close() throws Exception {
    if (follower != null) {
      follower.close();
    }
    if (scoring != null && !scoring.waitingModels().isEmpty()) {
      LOG.warn("closing with events of models {} still waiting for a model update (kept in checkpointed state)",
          scoring.waitingModels());
    }
    super.close();
  }

  /**
   * Scores as records: an event's score keeps the event's timestamp (its Kafka record's); scores of events that
   * waited for their model have none. One record object, reused.
   */
  private final class RecordOutput implements ReplicaScoring.Output {
    private final StreamRecord<Scored> record = new StreamRecord<>(null);

    RecordOutput timedAs(StreamRecord<?> event) {
      if (event.hasTimestamp()) {
        record.setTimestamp(event.getTimestamp());
      } else {
        record.eraseTimestamp();
      }
      return this;
    }

    RecordOutput untimed() {
      record.eraseTimestamp();
      return this;
    }

    @Override
    public void score(Scored score) {
      output.collect(record.replace(score));
    }

    @Override
    public void reject(Rejected rejected) {
      output.collect(ModelFunction.REJECTED, new StreamRecord<>(rejected));
    }
  }
}
