package ai.hiformer.cli.stream;

import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A benchmark run's times, read back from the topics once its jobs stopped (request ids are {@code
 * r<index>}, the event's index in the stream; the broker appends with its own clock).
 *
 * @param eventsPerSecond phase 1's sustained rate: its events over first event appended → last of
 *     their scores appended
 * @param appended phase 2, sorted: score appended − event appended (ms)
 * @param visible phase 2, sorted: a {@code read_committed} consumer's receipt − event appended
 * @param scored phase 2, sorted: the job's scoring time − event appended (the job's clock)
 */
public record ScoreTimes(double eventsPerSecond, long[] appended, long[] visible, long[] scored) {
  /**
   * Reads the events and scores topics: the warm-up's {@code [0, warmup)} is skipped, {@code
   * [warmup, split)} is phase 1, the rest phase 2. With {@code traceName}, every phase-2 event's
   * times go to {@code traceName.csv}.
   */
  public static ScoreTimes read(
      EmbeddedKafka kafka,
      int eventCount,
      int warmup,
      int split,
      ReceiptTimes receipts,
      String traceName)
      throws Exception {
    long[] eventTime = new long[eventCount];
    for (ConsumerRecord<byte[], byte[]> r :
        kafka.readCommittedRecords("events", Duration.ofSeconds(2))) {
      eventTime[(int) r.offset()] = r.timestamp();
    }
    WireCodec<Score> codec = WireCodec.scores();
    long lastThroughputScore = 0;
    List<Long> appended = new ArrayList<>();
    List<Long> visible = new ArrayList<>();
    List<Long> scored = new ArrayList<>();
    StringBuilder trace =
        traceName == null
            ? null
            : new StringBuilder("index,appended_ms,scored_ms,score_appended_ms,visible_ms\n");
    for (ConsumerRecord<byte[], byte[]> r :
        kafka.readCommittedRecords("scores", Duration.ofSeconds(2))) {
      Score score = codec.decode(r.value());
      int index = Integer.parseInt(score.getRequestId().substring(1));
      if (index < warmup) {
        continue;
      }
      if (index < split) {
        lastThroughputScore = Math.max(lastThroughputScore, r.timestamp());
        continue;
      }
      long scoredAt = score.getScoringTime().toEpochMilli();
      appended.add(r.timestamp() - eventTime[index]);
      scored.add(scoredAt - eventTime[index]);
      if (receipts.at(index) > 0) {
        visible.add(receipts.at(index) - eventTime[index]);
      }
      if (trace != null) {
        trace.append(index).append(',').append(eventTime[index]).append(',').append(scoredAt);
        trace.append(',').append(r.timestamp()).append(',').append(receipts.at(index)).append('\n');
      }
    }
    if (trace != null) {
      Files.writeString(Paths.get(traceName + ".csv"), trace);
    }
    double eps = (split - warmup) / ((lastThroughputScore - eventTime[warmup]) / 1000.0);
    return new ScoreTimes(
        eps,
        StreamResults.sorted(appended),
        StreamResults.sorted(visible),
        StreamResults.sorted(scored));
  }
}
