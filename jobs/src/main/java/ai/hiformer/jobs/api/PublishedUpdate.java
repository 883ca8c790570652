package ai.hiformer.jobs.api;

/**
 * One model update as the learner publishes it (a Flink POJO): the model id and the update's bytes
 * ({@code ai.hiformer.learner.ModelUpdate}: epoch, sequence, version, changed rows and vocabulary
 * owners, dense weights when due).
 */
public class PublishedUpdate {
  public String modelId;
  public byte[] update;

  public PublishedUpdate() {}

  public PublishedUpdate(String modelId, byte[] update) {
    this.modelId = modelId;
    this.update = update;
  }
}
