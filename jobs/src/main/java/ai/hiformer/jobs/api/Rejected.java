package ai.hiformer.jobs.api;

/**
 * An event whose features the spec could not read (a Flink POJO): the job keeps running and the
 * event goes to the rejected side output with the reason and, when the mapping has it, its original
 * bytes.
 */
public class Rejected {
  public String modelId;
  public String requestId;
  public String reason;
  public byte[] payload;

  public Rejected() {}

  public Rejected(String modelId, String requestId, String reason, byte[] payload) {
    this.modelId = modelId;
    this.requestId = requestId;
    this.reason = reason;
    this.payload = payload;
  }
}
