package ai.hiformer.jobs.api;

/**
 * One model update as the learner publishes it (a Flink POJO): the model id and the update's bytes
 * ({@code ai.hiformer.learner.ModelUpdate}: epoch, sequence, version, changed rows and vocabulary owners, dense
 * weights when due).
 */
public class PublishedUpdate {
  public String modelId;
  public byte[] update;
  /** For the scoring replicas: the key that routes this copy to its scoring subtask (unused on the topic). */
  public int route;

  public PublishedUpdate() {}

  public PublishedUpdate(String modelId, byte[] update) {
    this.modelId = modelId;
    this.update = update;
  }

  /** A copy with routing key {@code route} (the same bytes, not copied). */
  public PublishedUpdate routedBy(int route) {
    PublishedUpdate copy = new PublishedUpdate(modelId, update);
    copy.route = route;
    return copy;
  }
}
