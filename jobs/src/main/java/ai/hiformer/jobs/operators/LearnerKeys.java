package ai.hiformer.jobs.operators;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * The learners' keys of each model ({@link LearnerPeers#key}), computed once per model id and then
 * looked up without allocating: the key selector asks for one per example.
 */
public final class LearnerKeys implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int learners;
  private final int maxParallelism;
  private transient Map<String, String[]> byModel;

  /**
   * @param learners {@code learn.parallelism}
   * @param maxParallelism the learner operator's number of key groups
   */
  public LearnerKeys(int learners, int maxParallelism) {
    this.learners = learners;
    this.maxParallelism = maxParallelism;
  }

  /** Learners per model. */
  public int learners() {
    return learners;
  }

  /** Learner {@code index}'s key for {@code modelId}. */
  public String of(String modelId, int index) {
    if (byModel == null) {
      byModel = new HashMap<>();
    }
    String[] keys = byModel.get(modelId);
    if (keys == null) {
      keys = new String[learners];
      for (int k = 0; k < learners; k++) {
        keys[k] = LearnerPeers.key(modelId, k, learners, maxParallelism);
      }
      byModel.put(modelId, keys);
    }
    return keys[index];
  }
}
