package ai.hiformer.jobs.stream;

/** A label that passed validation (a Flink POJO). */
public class ValidLabel {
  public String requestId;
  public String modelId;
  public String task;
  public double value;

  /** The label's event time (when the click or conversion happened), epoch milliseconds. */
  public long timeMillis;

  public ValidLabel() {}

  public ValidLabel(String requestId, String modelId, String task, double value, long timeMillis) {
    this.requestId = requestId;
    this.modelId = modelId;
    this.task = task;
    this.value = value;
    this.timeMillis = timeMillis;
  }
}
