package ai.hiformer.jobs.api;

import java.io.Serializable;
import java.util.List;

/**
 * The channel the learners of a model send each other their deltas through ({@code
 * learn.parallelism} > 1): written at least once, read by every learner subtask in the order
 * written, from a position the subtask keeps in its checkpoint. The learner operator reads it
 * itself, between records and on a short timer, rather than through a Flink edge: a delta of a
 * megabyte behind a backlog of examples crawled through Flink's flow control for seconds.
 */
public interface PeerChannel extends AutoCloseable {
  /** A delta as read: the model it belongs to, its bytes, and when it was sent (epoch ms). */
  record Delta(String modelId, byte[] bytes, long sentMillis) {}

  /** Sends {@code delta} of model {@code modelId}; returns at once. */
  void send(String modelId, byte[] delta);

  /**
   * The deltas written since the last poll (all learners' deltas, this one's too).
   *
   * @param waitMillis how long to wait for one when none is there yet; 0: not at all
   */
  List<Delta> poll(long waitMillis);

  /** Where the next poll reads from: what a checkpoint keeps. */
  long position();

  /** Returns once every delta sent so far is written (at a checkpoint). */
  void flush();

  @Override
  void close();

  /** Opens the channel in each learner subtask (a serializable description of it). */
  interface Factory extends Serializable {
    /**
     * @param position where to read from, as {@link #position()} returned it; -1 for a fresh start
     * @param freshFromMillis with no position: the time (epoch ms) of the oldest delta to read
     */
    PeerChannel open(long position, long freshFromMillis);
  }
}
