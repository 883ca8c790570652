package ai.hiformer.jobs.operators;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PeerChannel;
import ai.hiformer.model.train.PeerDelta;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;

/**
 * The learner operator's end of the {@link PeerChannel} ({@code learn.parallelism} > 1): reads the
 * deltas between records (at most every millisecond) and on the operator's short timer, hands each
 * to every learner of its model on this subtask but its sender, and keeps its read position in the
 * checkpoint, taken with the learners' keyed state, so that a restore reads on from the same cut. A
 * restore at another parallelism reads from the lowest position any subtask kept: a delta read
 * twice is ignored by its learner.
 */
final class PeerExchangeReader {
  /** A fresh job reads the deltas of the last minute (older ones belong to other epochs). */
  static final long FRESH_START_LOOKBACK_MS = 60_000;

  private final ModelOperator<?> operator;
  private final ListState<Long> positions;
  private final int learners;
  private final int subtask;
  private final int parallelism;
  private final int maxParallelism;
  private long restored = -1;
  private PeerChannel channel;
  private long lastPollNanos;
  private final long waitNanos;
  private final LearnerKeys keys;

  PeerExchangeReader(ModelOperator<?> operator, StateInitializationContext context)
      throws Exception {
    this.operator = operator;
    this.learners = operator.function().options().get(LearnerOptions.PARALLELISM);
    positions =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>("learner-exchange-positions", Types.LONG));
    if (context.isRestored()) {
      for (Long p : positions.get()) {
        restored = restored < 0 ? p : Math.min(restored, p);
      }
    }
    var info = operator.getRuntimeContext().getTaskInfo();
    subtask = info.getIndexOfThisSubtask();
    parallelism = info.getNumberOfParallelSubtasks();
    maxParallelism = info.getMaxNumberOfParallelSubtasks();
    keys = new LearnerKeys(learners, maxParallelism);
    waitNanos = operator.function().options().get(LearnerOptions.SYNC_WAIT_MS) * 1_000_000;
  }

  /** Opens the channel; returns where the learners send their deltas. */
  BiConsumer<String, byte[]> open(PeerChannel.Factory factory) {
    channel = factory.open(restored, System.currentTimeMillis() - FRESH_START_LOOKBACK_MS);
    return channel::send;
  }

  /**
   * Delivers the deltas written since the last read.
   *
   * @param fromTimer on the operator's timer (no key selected), else between records (the record's
   *     key is selected again afterwards)
   */
  void poll(boolean fromTimer) {
    long now = System.nanoTime();
    if (!fromTimer && now - lastPollNanos < 1_000_000) {
      return;
    }
    lastPollNanos = now;
    deliver(channel.poll(0), fromTimer ? null : operator.selectedKey());
  }

  /**
   * Before a record of learner {@code key} (the key selected): while that learner is a whole
   * exchange period ahead ({@link LearnerPeers#ahead}) of peers that all run on other subtasks,
   * reads the channel until their deltas complete the exchange or {@code learn.sync-wait-ms} runs
   * out. The record waits, and with it this subtask's input: the back-pressure that keeps a learner
   * catching up after a restore within a period of its peers, as {@code evaluate --learners}
   * assumes. A peer on this subtask cannot move while its thread waits, so none is waited for.
   */
  void awaitPeers(String key) {
    if (waitNanos == 0) {
      return;
    }
    LearnerPeers peers = operator.function().peers();
    var runtime = operator.function().runtimes().get(key);
    if (runtime == null || !peers.ahead(key, runtime)) {
      return;
    }
    String modelId = LearnerPeers.modelIdOf(key);
    for (int k = 0; k < learners; k++) {
      if (peers.lacks(key, k) && owned(keys.of(modelId, k))) {
        return;
      }
    }
    long start = System.nanoTime();
    boolean ahead = true;
    while (ahead && System.nanoTime() - start < waitNanos) {
      deliver(channel.poll(1), key);
      ahead = peers.ahead(key, runtime);
    }
    lastPollNanos = System.nanoTime();
    peers.waited(key, lastPollNanos - start, ahead);
  }

  private boolean owned(String key) {
    return KeyGroupRangeAssignment.assignKeyToParallelOperator(key, maxParallelism, parallelism)
        == subtask;
  }

  /** Hands each delta to this subtask's learners of its model but its sender. */
  private void deliver(List<PeerChannel.Delta> deltas, String before) {
    if (deltas.isEmpty()) {
      return;
    }
    long epoch = operator.function().epoch();
    for (PeerChannel.Delta d : deltas) {
      if (PeerDelta.epochOf(d.bytes()) != epoch) {
        continue; // another run's (or this learner's own before a restore): never applied
      }
      int sender = PeerDelta.senderOf(d.bytes());
      for (int k = 0; k < learners; k++) {
        String key = keys.of(d.modelId(), k);
        if (k != sender && owned(key)) {
          operator.selectKey(key);
          operator
              .function()
              .receivePeer(key, d.bytes(), d.sentMillis(), operator.processingTime());
        }
      }
    }
    if (before != null) {
      operator.selectKey(before);
    }
  }

  /** At a checkpoint: every delta sent is written, and the read position is kept. */
  void snapshot() throws Exception {
    channel.flush();
    positions.update(List.of(channel.position()));
  }

  void close() {
    if (channel != null) {
      channel.close();
    }
  }
}
