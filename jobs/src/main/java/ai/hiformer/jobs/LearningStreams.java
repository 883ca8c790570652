package ai.hiformer.jobs;

import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.jobs.api.Rejected;
import ai.hiformer.jobs.api.Scored;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * What {@link OnlineLearning#scoreAndLearn} adds to a job: one score per scored event, the events
 * whose features the spec could not read, and the learner's model updates (empty unless {@code
 * updates.interval-ms} > 0).
 */
public final class LearningStreams {
  private final DataStream<Scored> scores;
  private final DataStream<Rejected> rejected;
  private final DataStream<PublishedUpdate> updates;

  LearningStreams(
      DataStream<Scored> scores,
      DataStream<Rejected> rejected,
      DataStream<PublishedUpdate> updates) {
    this.scores = scores;
    this.rejected = rejected;
    this.updates = updates;
  }

  /** One score per event to score, naming the model version that produced it. */
  public DataStream<Scored> scores() {
    return scores;
  }

  /** Events whose features the spec could not read, each once, with the reason. */
  public DataStream<Rejected> rejected() {
    return rejected;
  }

  /** The learner's model updates, in order per model id (for a topic that servers follow). */
  public DataStream<PublishedUpdate> updates() {
    return updates;
  }
}
