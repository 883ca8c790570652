package ai.hiformer.jobs.api;

import ai.hiformer.features.io.Row;
import java.io.Serializable;
import java.util.Map;

/**
 * How the library reads a user's event type {@code T}: which model it belongs to, its raw feature
 * columns (as the feature spec names them), and its labels. Flink ships the mapping to the task
 * managers with the job, so it must be serializable; it is used by one thread per subtask, so it
 * may reuse objects between calls.
 *
 * @param <T> the user's event type
 */
public interface EventMapping<T> extends Serializable {
  /**
   * The model id: events of one id score and learn with one model (markets, surfaces, experiment
   * arms).
   */
  String modelId(T event);

  /** The id a score is returned under (and labels are joined on). */
  String requestId(T event);

  /** The event's time in epoch milliseconds (the event-time snapshot rule reads it). */
  long eventTimeMillis(T event);

  /**
   * The raw columns of the event that the feature spec reads. The row may be a reused view: it is
   * read before the next call for another event.
   */
  Row features(T event);

  /** Label per task name (0 or 1); empty when the event is only to be scored. */
  Map<String, Double> labels(T event);

  /**
   * False for an example to learn from without scoring it (e.g. labels joined after it was scored).
   */
  default boolean score(T event) {
    return true;
  }

  /**
   * True for a positive learned again because it arrived after its impression had been learned
   * without it (a late positive, fake-negative learning): the learner counts these to weigh its
   * examples. Its labels hold only the tasks that arrived late.
   */
  default boolean latePositive(T event) {
    return false;
  }

  /**
   * Which of {@code learners} ({@code learn.parallelism}) learns from this event: a hash of its
   * request id, the same in a replay and after a restore.
   */
  default int learner(T event, int learners) {
    return ai.hiformer.learner.NegativeSampling.learnerOf(requestId(event), learners);
  }

  /**
   * The event's original bytes, kept with a rejection (e.g. for a dead-letter topic); null if there
   * are none.
   */
  default byte[] payload(T event) {
    return null;
  }
}
