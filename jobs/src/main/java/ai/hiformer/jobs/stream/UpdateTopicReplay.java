package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.api.PublishedUpdate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The recent past of the model-update topic, read up to its end as of now: for each partition, from
 * the latest record from which every model on it can be rebuilt whole (a full update, or a whole
 * cycle of base slices), so that a reader which lost its replicas (the scoring job, after a
 * restore) has them back at once instead of at the end of the next base cycle. How far back:
 * records of the last {@code 2 × cycle} of the partition's own time (its newest record's timestamp,
 * so that a learner that stopped publishing does not empty the window), four times that while some
 * model in it cannot be made whole, and at most the partition's beginning. Each window is first
 * scanned with fresh {@link ReplicaUpdateFilter} (the replicas' own rule), then read again and
 * handed on, so that memory holds one update at a time.
 */
final class UpdateTopicReplay {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(UpdateTopicReplay.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private UpdateTopicReplay() {}

  /**
   * Hands {@code chunks} every record of {@code topic} from where each partition's models can be
   * made whole up to the partition's end as it is now, in the topic's order per partition.
   *
   * @param cycleMillis a base cycle: {@code updates.base-slices × updates.interval-ms}
   * @return records handed on
   */
  static long replay(
      Properties client, String topic, long cycleMillis, Consumer<PublishedUpdate> chunks) {
    Properties p = new Properties();
    p.putAll(client);
    p.remove("group.id");
    p.put("enable.auto.commit", "false");
    p.putIfAbsent("max.partition.fetch.bytes", "67108864");
    p.putIfAbsent("fetch.max.bytes", "134217728");
    long handedOn = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      var infos = consumer.partitionsFor(topic, TIMEOUT);
      for (var info : infos == null ? List.<org.apache.kafka.common.PartitionInfo>of() : infos) {
        TopicPartition tp = new TopicPartition(topic, info.partition());
        consumer.assign(List.of(tp));
        long begin = consumer.beginningOffsets(List.of(tp), TIMEOUT).get(tp);
        long end = consumer.endOffsets(List.of(tp), TIMEOUT).get(tp);
        if (end <= begin) {
          continue;
        }
        long newest = timestampAt(consumer, tp, begin, end);
        long window = 2 * Math.max(1, cycleMillis);
        long from;
        while (true) {
          from = offsetAt(consumer, tp, newest - window, begin);
          if (from <= begin || wholeFrom(consumer, tp, from, end)) {
            break;
          }
          window = window > Long.MAX_VALUE / 8 ? Long.MAX_VALUE / 2 : window * 4;
        }
        long[] n = {0};
        read(
            consumer,
            tp,
            from,
            end,
            asUpdates(
                u -> {
                  chunks.accept(u);
                  n[0]++;
                }));
        LOG.info(
            "{}: replayed {} model update records from offset {} up to {} (the last {} ms of updates)",
            tp,
            n[0],
            from,
            end,
            window);
        handedOn += n[0];
      }
    }
    return handedOn;
  }

  /** Whether every model with an update in [from, end) has a whole replica at the end of it. */
  private static boolean wholeFrom(
      KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long from, long end) {
    ReplicaUpdateFilter taken = new ReplicaUpdateFilter();
    read(
        consumer,
        tp,
        from,
        end,
        asUpdates(
            u -> {
              try {
                taken.offer(u.modelId, u.update);
              } catch (IllegalArgumentException e) {
                // not an update: the reader skips it too
              }
            }));
    return taken.wholeModels() == taken.models();
  }

  /**
   * The first offset at or after {@code timestamp}, or {@code begin} if the timestamp is before
   * every record.
   */
  private static long offsetAt(
      KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long timestamp, long begin) {
    if (timestamp <= 0) {
      return begin;
    }
    OffsetAndTimestamp at = consumer.offsetsForTimes(Map.of(tp, timestamp), TIMEOUT).get(tp);
    return at == null ? begin : Math.max(begin, at.offset());
  }

  /**
   * The timestamp of the partition's newest record (a transaction marker ends it: the newest record
   * before).
   */
  private static long timestampAt(
      KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long begin, long end) {
    for (long back = 1; ; back *= 16) {
      long from = Math.max(begin, end - back);
      long[] newest = {-1};
      read(consumer, tp, from, end, r -> newest[0] = Math.max(newest[0], r.timestamp()));
      if (newest[0] >= 0 || from == begin) {
        return Math.max(0, newest[0]);
      }
    }
  }

  /**
   * Hands on each record as the scoring job's update source reads it ({@link
   * UpdateTopic.UpdateRecords}).
   */
  private static Consumer<ConsumerRecord<byte[], byte[]>> asUpdates(
      Consumer<PublishedUpdate> updates) {
    UpdateTopic.UpdateRecords records = new UpdateTopic.UpdateRecords();
    org.apache.flink.util.Collector<PublishedUpdate> out =
        new org.apache.flink.util.Collector<>() {
          @Override
          public void collect(PublishedUpdate update) {
            updates.accept(update);
          }

          @Override
          public void close() {}
        };
    return r -> records.deserialize(r, out);
  }

  /** Reads [from, end) of {@code tp}, handing each record on. */
  private static void read(
      KafkaConsumer<byte[], byte[]> consumer,
      TopicPartition tp,
      long from,
      long end,
      Consumer<ConsumerRecord<byte[], byte[]>> each) {
    consumer.seek(tp, from);
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (consumer.position(tp, TIMEOUT) < end) {
      var polled = consumer.poll(POLL);
      if (polled.isEmpty() && System.nanoTime() > deadline) {
        throw new IllegalStateException(
            tp
                + ": no model updates read for "
                + TIMEOUT
                + " at offset "
                + consumer.position(tp)
                + " of "
                + end);
      }
      for (ConsumerRecord<byte[], byte[]> r : polled) {
        if (r.offset() >= end) {
          break;
        }
        deadline = System.nanoTime() + TIMEOUT.toNanos();
        each.accept(r);
      }
    }
  }
}
