package ai.hiformer.jobs.operators;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.learner.ModelRuntime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.flink.util.OutputTag;

/**
 * When and what the learner publishes for each model id ({@code updates.interval-ms}): on timers at
 * the interval's boundaries, each update the changes since the previous one, a full update after
 * the runtime was built or restored (a new epoch), the dense weights only when they moved (a
 * training step or, with several learners, a merge), and a slice of a base for readers that join
 * late. With several learners only learner 0, keyed by the model id, publishes.
 */
final class UpdatePublisher {
  /** No timer to register. */
  static final long NONE = Long.MIN_VALUE;

  private final long intervalMs;
  private final int baseSlices;
  private final Set<String> needsFullUpdate = new HashSet<>();
  private final Map<String, Long> publishedState = new HashMap<>(); // what the last update held

  UpdatePublisher(LearnerOptions config) {
    this.intervalMs = config.get(LearnerOptions.UPDATES_INTERVAL_MS);
    this.baseSlices = config.get(LearnerOptions.UPDATES_BASE_SLICES);
  }

  /** {@code key}'s runtime was built or restored: its next update is full. */
  void restarted(String key) {
    needsFullUpdate.add(key);
  }

  /**
   * The first update timer of {@code key} (the next interval boundary after {@code now}), once;
   * else {@link #NONE}.
   */
  long firstTimer(String key, long now) {
    if (intervalMs <= 0 || publishedState.containsKey(key)) {
      return NONE;
    }
    publishedState.put(key, Long.MIN_VALUE); // once per key: learners k > 0 never publish
    return LearnerPeers.publishes(key) ? (now / intervalMs + 1) * intervalMs : NONE;
  }

  /** Whether a timer at {@code timestamp} is an update's; if so the next is one interval on. */
  boolean isUpdateTimer(long timestamp) {
    return intervalMs > 0 && timestamp % intervalMs == 0;
  }

  long intervalMs() {
    return intervalMs;
  }

  /**
   * Emits the update due for {@code key}: a full one after a (re)start, else the changes, with the
   * dense weights only when they moved. The update stream then also gets the next slice of a base
   * spread over {@code updates.base-slices} updates, at the same sequence; scoring replicas, which
   * have followed every change, do not get them.
   *
   * @param merges exchanges with other learners applied so far (0 with one learner)
   */
  void publish(
      String key,
      ModelRuntime r,
      long merges,
      BiConsumer<OutputTag<PublishedUpdate>, PublishedUpdate> out) {
    boolean restarted = needsFullUpdate.remove(key);
    long state = r.version() * 1_000_003L + merges;
    boolean dense = restarted || state != publishedState.getOrDefault(key, Long.MIN_VALUE);
    publishedState.put(key, state);
    // Read and handed on, never changed: no copy.
    var update = new PublishedUpdate(key, r.updates().capture(restarted, dense).publishedBytes());
    out.accept(ModelFunction.REPLICA_UPDATES, update);
    out.accept(ModelFunction.UPDATES, update);
    if (!restarted && baseSlices > 0) {
      out.accept(
          ModelFunction.UPDATES,
          new PublishedUpdate(key, r.updates().baseSlice(baseSlices).publishedBytes()));
    }
  }
}
