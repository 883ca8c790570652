package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PeerChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code topics.learner-exchange} as the learners' {@link PeerChannel}: partition 0, keyed by model
 * id, written without a transaction (sent at once, flushed at each checkpoint) and read
 * uncommitted, so a delta reaches the other learners milliseconds after it was sent rather than a
 * checkpoint later.
 */
public final class KafkaPeerChannel implements PeerChannel {
  private final KafkaProducer<String, byte[]> producer;
  private final KafkaConsumer<String, byte[]> consumer;
  private final String topic;
  private final TopicPartition partition;

  private KafkaPeerChannel(Properties client, String topic, long position, long freshFromMillis) {
    this.topic = topic;
    this.partition = new TopicPartition(topic, 0);
    Properties p = new Properties();
    p.putAll(client);
    p.put("acks", "all");
    p.put("linger.ms", "0");
    p.put("max.request.size", "16777216");
    producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    Properties c = new Properties();
    c.putAll(client);
    c.put("isolation.level", "read_uncommitted");
    c.put("enable.auto.commit", "false");
    c.put("fetch.max.wait.ms", "1");
    c.put("max.partition.fetch.bytes", "16777216");
    c.remove("group.id");
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    consumer.assign(List.of(partition));
    if (position >= 0) {
      consumer.seek(partition, position);
    } else {
      Map<TopicPartition, OffsetAndTimestamp> from =
          consumer.offsetsForTimes(Map.of(partition, freshFromMillis));
      OffsetAndTimestamp at = from.get(partition);
      if (at != null) {
        consumer.seek(partition, at.offset());
      } else {
        consumer.seekToEnd(List.of(partition));
      }
    }
    // Resolved now: a lazy end position, taken at the first poll, would skip a peer's delta
    // written between this open and that poll.
    consumer.position(partition);
  }

  /** The job's channel: its brokers and client settings, {@code topics.learner-exchange}. */
  static PeerChannel.Factory factory(JobConfig config) {
    String topic = config.get(JobConfig.EXCHANGE_TOPIC);
    if (topic == null) {
      throw new IllegalArgumentException(
          LearnerOptions.PARALLELISM.key()
              + " = "
              + config.learnerOptions().get(LearnerOptions.PARALLELISM)
              + " needs "
              + JobConfig.EXCHANGE_TOPIC.key()
              + ": the topic the learners exchange what they learnt through");
    }
    Properties client = config.kafkaClientProperties();
    client.setProperty("bootstrap.servers", config.get(JobConfig.BOOTSTRAP_SERVERS));
    return new Factory(client, topic);
  }

  /** A channel on {@code topic} of the brokers at {@code bootstrapServers}, default clients. */
  public static PeerChannel.Factory factory(String bootstrapServers, String topic) {
    Properties client = new Properties();
    client.setProperty("bootstrap.servers", bootstrapServers);
    return new Factory(client, topic);
  }

  /** Serializable: the client settings and the topic. */
  private record Factory(Properties client, String topic) implements PeerChannel.Factory {
    @Override
    public PeerChannel open(long position, long freshFromMillis) {
      return new KafkaPeerChannel(client, topic, position, freshFromMillis);
    }
  }

  @Override
  public void send(String modelId, byte[] delta) {
    producer.send(new ProducerRecord<>(topic, 0, modelId, delta));
  }

  @Override
  public List<Delta> poll(long waitMillis) {
    var records = consumer.poll(waitMillis == 0 ? Duration.ZERO : Duration.ofMillis(waitMillis));
    if (records.isEmpty()) {
      return List.of(); // read every millisecond: nothing allocated when nothing came
    }
    List<Delta> out = new ArrayList<>(records.count());
    for (ConsumerRecord<String, byte[]> r : records) {
      if (r.key() != null && r.value() != null) {
        out.add(new Delta(r.key(), r.value(), r.timestamp()));
      }
    }
    return out;
  }

  @Override
  public long position() {
    return consumer.position(partition);
  }

  @Override
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    consumer.close();
  }
}
