package ai.hiformer.jobs.stream;

/** A Kafka record as it arrived: where it came from and its bytes (a Flink POJO). */
public class RawRecord {
  public String topic;
  public int partition;
  public long offset;
  public byte[] value;

  public RawRecord() {}

  public RawRecord(String topic, int partition, long offset, byte[] value) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.value = value;
  }
}
