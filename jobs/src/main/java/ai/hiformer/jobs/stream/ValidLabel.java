package ai.hiformer.jobs.stream;

/** A label that passed validation (a Flink POJO). */
public class ValidLabel {
  public String requestId;
  public String modelId;
  public String task;
  public double value;

  public ValidLabel() {}

  public ValidLabel(String requestId, String modelId, String task, double value) {
    this.requestId = requestId;
    this.modelId = modelId;
    this.task = task;
    this.value = value;
  }
}
