package ai.hiformer.cli;

import ai.hiformer.cli.stream.StreamResults;
import ai.hiformer.learner.UpdateChunks;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.serving.UpdateFollower;
import ai.hiformer.serving.UpdateTopicReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * {@code benchmark-stream --freshness}: a server's follower of the model-update topic in the
 * benchmark's process, noting when each (epoch, sequence) is served, so that each update can be
 * timed from its append to its being served.
 */
final class FreshnessProbe implements AutoCloseable {
  // By epoch, then sequence: the follower serves in sequence order, so the first state served at or
  // past an update's sequence is the ceiling entry.
  private final Map<Long, ConcurrentSkipListMap<Long, Long>> servedAt = new ConcurrentHashMap<>();
  private final UpdateTopicReader reader;

  FreshnessProbe(EmbeddedKafka kafka) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    reader =
        new UpdateTopicReader(
            p,
            "model-updates",
            new UpdateFollower(
                1,
                (id, version, epoch, sequence) ->
                    servedAt
                        .computeIfAbsent(epoch, e -> new ConcurrentSkipListMap<>())
                        .putIfAbsent(sequence, System.currentTimeMillis())));
  }

  /**
   * Freshness, sorted (ms): for each model update appended after {@code sinceMillis} (when its last
   * part was), until the follower served a state at or past its sequence in its epoch.
   */
  long[] sorted(EmbeddedKafka kafka, long sinceMillis) throws Exception {
    List<Long> freshness = new ArrayList<>();
    var parts = new UpdateChunks.Assembler();
    for (ConsumerRecord<byte[], byte[]> r :
        kafka.readCommittedRecords("model-updates", Duration.ofSeconds(2))) {
      var u = parts.offer(r.value());
      if (u == null || r.timestamp() < sinceMillis) {
        continue;
      }
      var served =
          servedAt
              .getOrDefault(u.epoch(), new ConcurrentSkipListMap<>())
              .ceilingEntry(u.sequence());
      if (served != null) {
        freshness.add(served.getValue() - r.timestamp());
      }
    }
    return StreamResults.sorted(freshness);
  }

  @Override
  public void close() {
    reader.close();
  }
}
