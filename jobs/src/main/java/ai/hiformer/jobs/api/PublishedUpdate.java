package ai.hiformer.jobs.api;

/**
 * One model update as the learner publishes it (a Flink POJO): the model id and the update's bytes
 * ({@code ai.hiformer.learner.ModelUpdate}: epoch, sequence, version, changed rows and vocabulary owners, dense
 * weights when due).
 */
public class PublishedUpdate {
  public String modelId;
  public byte[] update;
  /** For the scoring replicas: the scoring subtask this copy goes to (unused on the update topic). */
  public int subtask;

  public PublishedUpdate() {}

  public PublishedUpdate(String modelId, byte[] update) {
    this.modelId = modelId;
    this.update = update;
  }

  /** A copy addressed to scoring subtask {@code subtask} (the same bytes, not copied). */
  public PublishedUpdate to(int subtask) {
    PublishedUpdate copy = new PublishedUpdate(modelId, update);
    copy.subtask = subtask;
    return copy;
  }
}
