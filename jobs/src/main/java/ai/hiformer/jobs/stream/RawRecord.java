package ai.hiformer.jobs.stream;

/** A Kafka record as it arrived: where it came from and its bytes (a Flink POJO). */
public class RawRecord {
  public String topic;
  public int partition;
  public long offset;
  public byte[] value;

  /**
   * The record's Kafka timestamp (its producer's or the broker's clock, epoch milliseconds; -1 if
   * none): how long ago it was written tells a live reader from one reading history.
   */
  public long kafkaTimestamp = -1;

  public RawRecord() {}

  public RawRecord(String topic, int partition, long offset, byte[] value) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.value = value;
  }
}
