package ai.hiformer.jobs.stream;

import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import org.apache.avro.SchemaNormalization;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.util.clock.RelativeClock;
import org.apache.flink.util.clock.SystemClock;

/**
 * Event time for the label join, taken in the Kafka sources so that each partition has its own
 * watermark: an event's {@code eventTime}, a label's {@code time}, read from the record's bytes
 * without decoding the rest (the fields before them are two or three strings and a double).
 *
 * <p>Watermarks trail the newest time seen on a partition by {@code join.allowed-lateness-ms}. What
 * a partition does when it falls silent for {@code join.idle-ms} depends on whether it was being
 * read live, its last record read within {@link SilenceAware#LIVE_WITHIN_MILLIS} of its Kafka
 * timestamp:
 *
 * <ul>
 *   <li>Read live, an events partition moves its watermark on with the wall clock, so the last
 *       windows close after traffic stops; a labels partition is marked idle, so that sparse labels
 *       (most impressions never get one) do not hold windows open: the events' watermark then
 *       closes them, until a label comes again.
 *   <li>Read behind its head (a backfill, or a job held back by backpressure), a partition does
 *       neither: its silence may only mean that its records are waiting to be read, and closing
 *       windows then would lose their labels. A backfill thus joins exactly as the live stream did;
 *       a bounded one closes its last windows at the end of its input.
 *   <li>A partition that has had no record at all since the job (re)started is idle once {@code
 *       join.idle-ms} has passed: an empty partition (a topic with more partitions than model ids)
 *       must not hold every window open. When its first record comes it counts again.
 * </ul>
 *
 * <p>Silence is measured by the source's input activity clock, which stands still while the source
 * is back-pressured: a partition whose records wait because the job downstream is busy (a learner
 * warming up, a long checkpoint) is not silent.
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

  /** Events: timestamps from their bytes; a silent live partition follows the wall clock. */
  static WatermarkStrategy<RawRecord> forEvents(JobConfig config) {
    return strategy(
        config,
        SilenceAware.Silence.FOLLOW_WALL_CLOCK,
        (r, kafkaTime) -> eventTime(r.value, kafkaTime));
  }

  /** Labels: timestamps from their bytes; a silent live partition is idle. */
  static WatermarkStrategy<RawRecord> forLabels(JobConfig config) {
    return strategy(
        config, SilenceAware.Silence.IDLE, (r, kafkaTime) -> labelTime(r.value, kafkaTime));
  }

  private static WatermarkStrategy<RawRecord> strategy(
      JobConfig config,
      SilenceAware.Silence silence,
      SerializableTimestampAssigner<RawRecord> timestamps) {
    long lateness = config.get(JobConfig.JOIN_ALLOWED_LATENESS_MS);
    long idle = config.get(JobConfig.JOIN_IDLE_MS);
    return WatermarkStrategy.<RawRecord>forGenerator(
            ctx -> new SilenceAware(lateness, idle, silence, ctx.getInputActivityClock()))
        .withTimestampAssigner(timestamps);
  }

  /**
   * Bounded out-of-orderness, and after {@code idleMillis} without records on a partition that was
   * read live, the given behaviour (see the class comment).
   */
  static final class SilenceAware implements WatermarkGenerator<RawRecord> {
    /** A record read within this long of its Kafka timestamp was read live. */
    static final long LIVE_WITHIN_MILLIS = 1_000;

    /** What a silent live partition does. */
    enum Silence {
      /** Its watermark moves on with the wall clock from where it stood. */
      FOLLOW_WALL_CLOCK,
      /** It is marked idle: it stops holding back the watermark, until a record comes. */
      IDLE
    }

    private final long lateness;
    private final long idleMillis;
    private final Silence silence;
    private final RelativeClock activity;
    private long newest = Long.MIN_VALUE;
    private long lastRecordActiveMillis;
    private boolean live;
    private boolean idle;
    private long emitted = Long.MIN_VALUE;
    private final long createdActiveMillis;

    /** Silence measured by the wall clock (tests). */
    SilenceAware(long lateness, long idleMillis, Silence silence) {
      this(lateness, idleMillis, silence, SystemClock.getInstance());
    }

    /**
     * @param activity the source's input activity clock: it stands still while the source is
     *     back-pressured (or paused), so time its records could not be read is not silence, and a
     *     blocked partition neither goes idle nor moves its watermark on with the clock
     */
    SilenceAware(long lateness, long idleMillis, Silence silence, RelativeClock activity) {
      this.lateness = lateness;
      this.idleMillis = idleMillis;
      this.silence = silence;
      this.activity = activity;
      this.createdActiveMillis = activity.relativeTimeMillis();
    }

    @Override
    public void onEvent(RawRecord record, long timestamp, WatermarkOutput output) {
      long now = System.currentTimeMillis();
      newest = Math.max(newest, timestamp);
      lastRecordActiveMillis = activity.relativeTimeMillis();
      live = record.kafkaTimestamp < 0 || now - record.kafkaTimestamp <= LIVE_WITHIN_MILLIS;
      if (idle) {
        idle = false;
        output.markActive();
      }
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
      if (newest == Long.MIN_VALUE) {
        // Nothing seen yet: no watermark. A partition still empty after the idle time (a topic
        // with more partitions than keys) is idle, or it would hold every window open for ever.
        if (!idle && activity.relativeTimeMillis() - createdActiveMillis > idleMillis) {
          idle = true;
          output.markIdle();
        }
        return;
      }
      long silent = activity.relativeTimeMillis() - lastRecordActiveMillis;
      long watermark = newest - lateness - 1;
      if (live && silent > idleMillis) {
        if (silence == Silence.IDLE) {
          if (!idle) {
            idle = true;
            output.markIdle();
          }
          return;
        }
        watermark += silent - idleMillis;
      }
      if (watermark > emitted) {
        emitted = watermark;
        output.emitWatermark(new Watermark(watermark));
      }
    }
  }
}
