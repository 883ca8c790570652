package ai.hiformer.jobs.stream;

import ai.hiformer.learner.ModelUpdate;
import ai.hiformer.learner.ReplicaPosition;
import ai.hiformer.learner.UpdateChunks;
import java.util.HashMap;
import java.util.Map;

/**
 * Of the update topic's records, in its order, the whole updates that replicas fed only with them
 * take (one replica per model id): each update reassembled from its chunks ({@link UpdateChunks}),
 * then kept if the model's {@link ReplicaPosition} takes it, which is the replicas' own rule. The
 * scoring job's update reader passes these on; its replay after a restore ({@link
 * UpdateTopicReplay}) uses a fresh one to find from where every model can be made whole.
 */
final class ReplicaUpdateFilter {
  private final Map<String, UpdateChunks.Assembler> assemblers = new HashMap<>();
  private final Map<String, ReplicaPosition> positions = new HashMap<>();

  /**
   * Takes the next record of {@code modelId}: returns the whole update the replicas take next, or
   * null (a part of an update still incomplete, or an update they skip: a repeat, an older one, a
   * slice once whole).
   *
   * @throws IllegalArgumentException if the record is not a model update (it is then dropped)
   */
  ModelUpdate offer(String modelId, byte[] record) {
    ModelUpdate whole =
        assemblers.computeIfAbsent(modelId, k -> new UpdateChunks.Assembler()).offer(record);
    if (whole == null) {
      return null;
    }
    ReplicaPosition position = positions.computeIfAbsent(modelId, k -> new ReplicaPosition());
    if (!position.takes(whole)) {
      return null;
    }
    position.moveTo(whole);
    return whole;
  }

  /** Models with an update offered so far. */
  int models() {
    return positions.size();
  }

  /** Models whose replicas are whole (a full update, or every slice of a base, taken). */
  long wholeModels() {
    return positions.values().stream().filter(ReplicaPosition::whole).count();
  }
}
