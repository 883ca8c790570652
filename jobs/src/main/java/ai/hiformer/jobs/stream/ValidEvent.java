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
  /** The event carries labels already (it skips the label join). */
  public boolean labelled;
  /** A joined example: learn from it, do not score it again. */
  public boolean trainOnly;

  public ValidEvent() {}

  public ValidEvent(String modelId, String requestId, byte[] payload, boolean labelled, boolean trainOnly) {
    this.modelId = modelId;
    this.requestId = requestId;
    this.payload = payload;
    this.labelled = labelled;
    this.trainOnly = trainOnly;
  }
}
