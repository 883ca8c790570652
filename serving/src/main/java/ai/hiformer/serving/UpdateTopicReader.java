package ai.hiformer.serving;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the job's model-update topic from its beginning and hands every poll to an {@link
 * UpdateFollower}, on a daemon thread, until closed. From the beginning, because a reader starts at
 * a full update or assembles its model from a cycle of base slices (the job publishes a full update
 * after every start or restore, and a slice after every update; {@code updates.base-slices} updates
 * make a cycle): the topic's retention must keep at least two cycles. No consumer group: every
 * server reads every update. Used by {@code hiformer serve --updates-topic} and by the Flink SQL
 * model provider.
 */
public final class UpdateTopicReader implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private volatile boolean closed;

  /**
   * Starts reading.
   *
   * @param client Kafka consumer properties ({@code bootstrap.servers} and any security settings)
   * @throws IllegalArgumentException when {@code topic} does not exist or cannot be read
   */
  public UpdateTopicReader(Properties client, String topic, UpdateFollower follower) {
    Properties p = new Properties();
    p.putAll(client);
    p.remove("group.id");
    p.putIfAbsent("enable.auto.commit", "false");
    p.put(
        "allow.auto.create.topics", "false"); // a mistyped topic is an error, not a new empty topic
    // A full update carries every row of a model: let one record be as large as the job's producer
    // allows.
    p.putIfAbsent("max.partition.fetch.bytes", "67108864");
    p.putIfAbsent("fetch.max.bytes", "134217728");
    consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) {
      consumer.close();
      throw new IllegalArgumentException(
          "the updates topic " + topic + " does not exist (or is not readable)");
    }
    infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread =
        new Thread(
            () -> {
              try {
                while (!closed) {
                  List<Map.Entry<String, byte[]>> batch = new ArrayList<>();
                  for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.key() != null && r.value() != null) {
                      batch.add(Map.entry(new String(r.key(), StandardCharsets.UTF_8), r.value()));
                    }
                  }
                  if (!batch.isEmpty()) {
                    follower.offer(batch);
                  }
                }
              } catch (WakeupException e) {
                // closing
              } finally {
                consumer.close();
              }
            },
            "model-update-reader");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the caller is being interrupted: let it see that
    }
  }
}
