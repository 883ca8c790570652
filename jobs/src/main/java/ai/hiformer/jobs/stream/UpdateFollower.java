package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.learner.ModelUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Follows the model-update topic on a thread of its own, for one scoring subtask: first the topic's recent past,
 * from where every model on it can be made whole ({@link RecentUpdates}), then each record as it is published.
 * Records are reassembled into whole updates, and of those only the ones the replicas take are handed on ({@link
 * ReplicaUpdates}), in the topic's order per partition; base slices are dropped once a model is whole.
 *
 * <p>Nothing here is checkpointed, as the replicas are not: a (re)started follower replays the recent past again.
 * A record read both by the replay and after it is older than what the replicas hold and is dropped. Every
 * partition of the topic is read (no consumer group): each scoring subtask needs every update.
 */
final class UpdateFollower implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UpdateFollower.class);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final Properties client;
  private final String topic;
  private final long cycleMillis;
  private final Consumer<PublishedUpdate> whole;
  private final Consumer<Throwable> failed;
  private final ReplicaUpdates taken = new ReplicaUpdates();
  private final Thread thread;
  private volatile boolean closed;
  private volatile KafkaConsumer<byte[], byte[]> consumer;

  /**
   * @param client Kafka client settings with {@code bootstrap.servers}
   * @param cycleMillis a base cycle on the topic: {@code updates.base-slices × updates.interval-ms}
   * @param whole receives each whole update the replicas take, on the follower's thread
   * @param failed receives what stopped the follower (it reads nothing more after that)
   */
  UpdateFollower(Properties client, String topic, long cycleMillis, Consumer<PublishedUpdate> whole,
      Consumer<Throwable> failed, String threadName) {
    this.client = client;
    this.topic = topic;
    this.cycleMillis = cycleMillis;
    this.whole = whole;
    this.failed = failed;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void run() {
    Properties p = new Properties();
    p.putAll(client);
    p.remove("group.id");
    p.put("enable.auto.commit", "false");
    p.putIfAbsent("max.partition.fetch.bytes", "67108864");
    p.putIfAbsent("fetch.max.bytes", "134217728");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer = c;
      if (closed) {
        return;
      }
      List<TopicPartition> partitions = partitions(c);
      // Where to go on from after the replay: the ends as they are before it (a record the replay reads too is
      // dropped as a repeat).
      Map<TopicPartition, Long> ends = c.endOffsets(partitions, TIMEOUT);
      long replayed = RecentUpdates.replay(client, topic, cycleMillis, this::offer);
      LOG.info("following {}: {} model update records replayed; {} of {} models whole", topic, replayed,
          taken.wholeModels(), taken.models());
      c.assign(partitions);
      ends.forEach(c::seek);
      Consumer<ConsumerRecord<byte[], byte[]>> records = RecentUpdates.asUpdates(this::offer);
      while (!closed) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(POLL)) {
          records.accept(r);
        }
      }
    } catch (WakeupException e) {
      fail(e);
    } catch (Throwable t) {
      fail(t);
    }
  }

  private void fail(Throwable t) {
    if (closed) {
      return;
    }
    try {
      failed.accept(t);
    } catch (RuntimeException e) {
      LOG.warn("the model-update follower of {} stopped ({}), and could not say so: {}", topic, t, e.toString());
    }
  }

  /** The topic's partitions, once it has any (the learning job may create it after this job starts). */
  private List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> c) throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      List<PartitionInfo> infos = c.partitionsFor(topic, TIMEOUT);
      if (infos != null && !infos.isEmpty()) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : infos) {
          partitions.add(new TopicPartition(topic, info.partition()));
        }
        return partitions;
      }
      if (attempt % 60 == 0) {
        LOG.warn("the model-update topic {} has no partitions yet; waiting for it", topic);
      }
      Thread.sleep(1000);
    }
  }

  private void offer(PublishedUpdate part) {
    ModelUpdate update;
    try {
      update = taken.offer(part.modelId, part.update);
    } catch (IllegalArgumentException e) {
      LOG.warn("skipping a record of model {}: {}", part.modelId, e.getMessage());
      return;
    }
    if (update != null) {
      whole.accept(new PublishedUpdate(part.modelId, update.publishedBytes()));
    }
  }

  /** Stops reading and waits for the thread to end. */
  @Override
  public void close() throws InterruptedException {
    closed = true;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    thread.interrupt();
    thread.join(TIMEOUT.toMillis());
  }
}
