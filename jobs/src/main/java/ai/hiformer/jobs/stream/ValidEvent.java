package ai.hiformer.jobs.stream;

/**
 * An event that passed validation: its model id (the key of scoring and learning) and its payload, the
 * original single-object-encoded bytes (a Flink POJO; decoding again downstream is cheaper than teaching
 * Flink the Avro types).
 */
public class ValidEvent {
  public String modelId;
  public String requestId;
  public byte[] payload;

  public ValidEvent() {}

  public ValidEvent(String modelId, String requestId, byte[] payload) {
    this.modelId = modelId;
    this.requestId = requestId;
    this.payload = payload;
  }
}
