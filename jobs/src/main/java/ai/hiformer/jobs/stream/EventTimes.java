package ai.hiformer.jobs.stream;

import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import java.time.Duration;
import org.apache.avro.SchemaNormalization;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;

/**
 * Event time for the label join, taken in the Kafka sources so that each partition has its own
 * watermark: an event's {@code eventTime}, a label's {@code time}, read from the record's bytes
 * without decoding the rest (the fields before them are two or three strings and a double).
 *
 * <p>Watermarks trail the newest time seen on a partition by {@code join.allowed-lateness-ms}. A
 * labels partition that is silent for {@code join.idle-ms} is marked idle and stops holding windows
 * open (labels are sparse: most impressions never get one). An events partition that is silent for
 * that long moves its watermark on with the wall clock instead, so that the last windows close
 * after traffic stops (marked idle, it would hold them open until traffic resumed).
 */
final class EventTimes {
  private EventTimes() {}

  private static final long EVENT_FINGERPRINT =
      SchemaNormalization.parsingFingerprint64(Event.getClassSchema());
  private static final long LABEL_FINGERPRINT =
      SchemaNormalization.parsingFingerprint64(Label.getClassSchema());

  /** Marker (2 bytes) and writer fingerprint (8 bytes, little-endian) of single-object encoding. */
  private static final int HEADER = 10;

  /**
   * An event record's {@code eventTime}, or {@code fallback} when the bytes are not an event of the
   * current schema (the decoder will say why, or decode an older schema fully).
   */
  static long eventTime(byte[] b, long fallback) {
    return time(b, EVENT_FINGERPRINT, 2, false, fallback);
  }

  /** A label record's {@code time}, or {@code fallback}. */
  static long labelTime(byte[] b, long fallback) {
    return time(b, LABEL_FINGERPRINT, 3, true, fallback);
  }

  private static long time(
      byte[] b, long fingerprint, int strings, boolean thenDouble, long fallback) {
    if (b == null || b.length < HEADER || b[0] != (byte) 0xC3 || b[1] != 0x01) {
      return fallback;
    }
    long fp = 0;
    for (int i = 9; i >= 2; i--) {
      fp = (fp << 8) | (b[i] & 0xFF);
    }
    if (fp != fingerprint) {
      return fallback;
    }
    int[] at = {HEADER};
    try {
      for (int s = 0; s < strings; s++) {
        long n = readVarLong(b, at);
        if (n < 0 || n > b.length - at[0]) {
          return fallback;
        }
        at[0] += (int) n;
      }
      if (thenDouble) {
        at[0] += 8;
      }
      return readVarLong(b, at);
    } catch (ArrayIndexOutOfBoundsException e) {
      return fallback; // truncated: the decoder dead-letters it
    }
  }

  /** Avro's zig-zag variable-length long. */
  private static long readVarLong(byte[] b, int[] at) {
    long raw = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte x = b[at[0]++];
      raw |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw new ArrayIndexOutOfBoundsException("varint too long");
  }

  /** Events: timestamps from their bytes; a silent partition's watermark follows the wall clock. */
  static WatermarkStrategy<RawRecord> forEvents(JobConfig config) {
    long lateness = config.get(JobConfig.JOIN_ALLOWED_LATENESS_MS);
    long idle = config.get(JobConfig.JOIN_IDLE_MS);
    return WatermarkStrategy.<RawRecord>forGenerator(
            ctx -> new FollowsWallClockWhenIdle(lateness, idle))
        .withTimestampAssigner(
            (SerializableTimestampAssigner<RawRecord>)
                (r, kafkaTime) -> eventTime(r.value, kafkaTime));
  }

  /** Labels: timestamps from their bytes; a silent partition is idle. */
  static WatermarkStrategy<RawRecord> forLabels(JobConfig config) {
    return WatermarkStrategy.<RawRecord>forBoundedOutOfOrderness(
            Duration.ofMillis(config.get(JobConfig.JOIN_ALLOWED_LATENESS_MS)))
        .withTimestampAssigner(
            (SerializableTimestampAssigner<RawRecord>)
                (r, kafkaTime) -> labelTime(r.value, kafkaTime))
        .withIdleness(Duration.ofMillis(config.get(JobConfig.JOIN_IDLE_MS)));
  }

  /**
   * Bounded out-of-orderness, and after {@code idleMillis} without records, a watermark that
   * advances with the wall clock from where it stood.
   */
  static final class FollowsWallClockWhenIdle implements WatermarkGenerator<RawRecord> {
    private final long lateness;
    private final long idleMillis;
    private long newest = Long.MIN_VALUE;
    private long lastRecordWallMillis;
    private long emitted = Long.MIN_VALUE;

    FollowsWallClockWhenIdle(long lateness, long idleMillis) {
      this.lateness = lateness;
      this.idleMillis = idleMillis;
    }

    @Override
    public void onEvent(RawRecord record, long timestamp, WatermarkOutput output) {
      newest = Math.max(newest, timestamp);
      lastRecordWallMillis = System.currentTimeMillis();
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
      if (newest == Long.MIN_VALUE) {
        return; // nothing seen yet: no watermark
      }
      long silent = System.currentTimeMillis() - lastRecordWallMillis;
      long watermark = newest - lateness - 1 + Math.max(0, silent - idleMillis);
      if (watermark > emitted) {
        emitted = watermark;
        output.emitWatermark(new Watermark(watermark));
      }
    }
  }
}
