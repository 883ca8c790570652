package ai.hiformer.local.chaos;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.learner.join.PendingExamples;
import ai.hiformer.local.cluster.JobTopics;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A run's whole history read back for a checker, as its users would see it: the events it sent
 * (those whose request ids carry the run's prefix), their scores as a read_committed consumer reads
 * them, the labels, the dead letters, and the newest model snapshot. Each read consumes a topic
 * from its start (all of it in memory: meant for test and chaos runs, not production topics).
 *
 * @param bootstrapServers the Kafka cluster
 * @param topics the job's topic names
 */
public record RunHistory(String bootstrapServers, JobTopics topics) {
  private static final Duration IDLE = Duration.ofMillis(1500);

  /** Each event with {@code prefix}: request id → event time (epoch ms). */
  public Map<String, Long> eventTimes(String prefix) throws WireCodec.DecodeException {
    WireCodec<Event> codec = WireCodec.events();
    Map<String, Long> out = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        EmbeddedKafka.readCommittedRecords(bootstrapServers, topics.events(), IDLE)) {
      Event e = codec.decode(r.value());
      if (e.getRequestId().startsWith(prefix)) {
        out.put(e.getRequestId(), e.getEventTime().toEpochMilli());
      }
    }
    return out;
  }

  /** How many committed scores each request id with {@code prefix} has. */
  public Map<String, Integer> scoreCounts(String prefix) throws WireCodec.DecodeException {
    WireCodec<Score> codec = WireCodec.scores();
    Map<String, Integer> out = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        EmbeddedKafka.readCommittedRecords(bootstrapServers, topics.scores(), IDLE)) {
      String id = codec.decode(r.value()).getRequestId();
      if (id.startsWith(prefix)) {
        out.merge(id, 1, Integer::sum);
      }
    }
    return out;
  }

  /** Dead letters written. */
  public long deadLetters() {
    return EmbeddedKafka.readCommittedRecords(bootstrapServers, topics.deadLetters(), IDLE).size();
  }

  /**
   * The positive labels of an impression set.
   *
   * @param positives positive labels of the impressions (each to be learned once: in its window, or
   *     after it as a late positive)
   * @param lateByTime of those, the ones whose time is after their impression's join window (the
   *     window's end rounded up to the join's time bucket, as the job rounds it): late whatever the
   *     job's watermarks did. A label held up by an outage longer than {@code join.idle-ms} can be
   *     late too (its partition went idle, and windows closed without it)
   */
  public record PositiveLabels(long positives, long lateByTime) {}

  /**
   * Counts the positive labels of {@code impressions}.
   *
   * @param impressions request id → event time (epoch ms), as {@link #eventTimes} reads them
   * @param windowMillis the job's {@code join.window-ms}
   */
  public PositiveLabels positiveLabels(Map<String, Long> impressions, long windowMillis)
      throws WireCodec.DecodeException {
    WireCodec<Label> codec = WireCodec.labels();
    long bucket = PendingExamples.bucketFor(windowMillis);
    long positives = 0;
    long late = 0;
    for (ConsumerRecord<byte[], byte[]> r :
        EmbeddedKafka.readCommittedRecords(bootstrapServers, topics.labels(), IDLE)) {
      Label l = codec.decode(r.value());
      Long time = impressions.get(l.getRequestId());
      if (time == null || l.getValue() != 1.0) {
        continue;
      }
      positives++;
      long windowEnd = Math.floorDiv(time + windowMillis + bucket - 1, bucket) * bucket;
      late += l.getTime().toEpochMilli() > windowEnd ? 1 : 0;
    }
    return new PositiveLabels(positives, late);
  }

  /**
   * What the newest snapshot of {@code modelId} under {@code snapshots} says (its manifest: the
   * model files are neither read nor verified), if there is one.
   */
  public static Optional<ModelSnapshot.Summary> newestSnapshot(Path snapshots, String modelId)
      throws IOException {
    Optional<Path> newest = ModelSnapshot.newest(snapshots.resolve(modelId));
    return newest.isEmpty()
        ? Optional.empty()
        : Optional.of(ModelSnapshot.readSummary(newest.get()));
  }
}
