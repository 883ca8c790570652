package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.learner.ModelUpdate;
import ai.hiformer.learner.ReplicaPosition;
import ai.hiformer.learner.UpdateChunks;
import java.util.Properties;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The scoring job's reader of the model-update topic: whole updates from their chunks ({@link
 * UpdateChunks}), per model id, and of those only the ones the replicas downstream will take
 * ({@link ReplicaUpdateFilter}). They see exactly what this reader passes on, so a {@link
 * ReplicaPosition} here, which follows their rule, knows where they stand. Above all it drops the
 * base slices once the replicas are whole: slices are for readers that join late, and the one
 * published every second (1/n of the model) would otherwise cost every scorer the time to receive
 * and skip it.
 *
 * <p>Neither the replicas nor this reader are checkpointed (replicas would multiply the checkpoint
 * by the scoring parallelism). After a restore the source resumes at its checkpointed offset, from
 * which the replicas could be made whole only by the next base cycle on the topic (a minute by
 * default, and never while the learning job is down); so before anything else this reader replays
 * the topic's recent past ({@link UpdateTopicReplay}), from where every model can be made whole up
 * to the topic's end. The records the source then delivers again are older than what the replicas
 * hold, and the position drops them.
 */
final class ScoringJobUpdateReader extends AbstractStreamOperator<PublishedUpdate>
    implements OneInputStreamOperator<PublishedUpdate, PublishedUpdate> {
  private static final long serialVersionUID = 1L;
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ScoringJobUpdateReader.class);

  private final Properties client;
  private final String topic;
  private final long cycleMillis;
  private transient ReplicaUpdateFilter taken;
  private transient boolean replayDue;

  /**
   * @param client Kafka client settings with {@code bootstrap.servers}, for the replay after a
   *     restore
   * @param cycleMillis a base cycle on the topic: {@code updates.base-slices × updates.interval-ms}
   */
  ScoringJobUpdateReader(Properties client, String topic, long cycleMillis) {
    this.client = client;
    this.topic = topic;
    this.cycleMillis = cycleMillis;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    taken = new ReplicaUpdateFilter();
    replayDue = context.isRestored();
  }

  @Override
  public void open() throws Exception {
    super.open();
    if (replayDue) {
      // On the task thread, as soon as the task runs: the learning job may be publishing nothing
      // new.
      getProcessingTimeService()
          .registerTimer(
              getProcessingTimeService().getCurrentProcessingTime(), time -> replayIfDue());
    }
  }

  @Override
  public void processElement(StreamRecord<PublishedUpdate> record) {
    replayIfDue();
    offer(record.getValue());
  }

  private void replayIfDue() {
    if (!replayDue) {
      return;
    }
    replayDue = false;
    long n = UpdateTopicReplay.replay(client, topic, cycleMillis, this::offer);
    LOG.info(
        "restored: replicas rebuilt from {} model update records of {}; {} of {} models whole",
        n,
        topic,
        taken.wholeModels(),
        taken.models());
  }

  private void offer(PublishedUpdate part) {
    ModelUpdate whole;
    try {
      whole = taken.offer(part.modelId, part.update);
    } catch (IllegalArgumentException e) {
      LOG.warn("skipping a record of model {}: {}", part.modelId, e.getMessage());
      return;
    }
    if (whole != null) {
      output.collect(new StreamRecord<>(new PublishedUpdate(part.modelId, whole.publishedBytes())));
    }
  }
}
