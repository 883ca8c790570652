package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventTimesTest {
  private static final long FALLBACK = -42;

  private static byte[] label(long timeMillis) {
    return WireCodec.labels()
        .encode(
            Label.newBuilder()
                .setRequestId("r")
                .setModelId("m")
                .setTask("click")
                .setValue(1)
                .setTime(Instant.ofEpochMilli(timeMillis))
                .build());
  }

  @Test
  void theTimeIsReadFromTheRecordsBytesWithoutDecodingTheRest() {
    byte[] event =
        WireCodec.events()
            .encode(
                Event.newBuilder()
                    .setRequestId("request-with-a-long-id-" + "x".repeat(200))
                    .setModelId("m")
                    .setEventTime(Instant.ofEpochMilli(1_733_000_000_123L))
                    .setCategorical(Map.of("user", "u"))
                    .build());
    byte[] label = label(-5);
    assertThat(EventTimes.eventTime(event, FALLBACK)).isEqualTo(1_733_000_000_123L);
    assertThat(EventTimes.labelTime(label, FALLBACK)).isEqualTo(-5);
  }

  @Test
  void bytesThatAreNotARecordOfTheSchemaGiveTheFallback() {
    byte[] label = label(7);
    assertThat(EventTimes.eventTime(label, FALLBACK)).isEqualTo(FALLBACK); // another schema
    assertThat(EventTimes.labelTime(Arrays.copyOf(label, 14), FALLBACK)).isEqualTo(FALLBACK);
    assertThat(EventTimes.labelTime(new byte[] {1, 2, 3}, FALLBACK)).isEqualTo(FALLBACK);
    assertThat(EventTimes.labelTime(null, FALLBACK)).isEqualTo(FALLBACK);
  }

  @Test
  void aSilentEventsPartitionsWatermarkMovesOnWithTheWallClock() throws Exception {
    var generator =
        new EventTimes.SilenceAware(1000, 50, EventTimes.SilenceAware.Silence.FOLLOW_WALL_CLOCK);
    Recorded output = new Recorded();
    java.util.List<Long> emitted = output.watermarks;
    generator.onPeriodicEmit(output);
    assertThat(emitted).isEmpty(); // nothing seen: no watermark
    RawRecord live = new RawRecord();
    live.kafkaTimestamp = System.currentTimeMillis();
    generator.onEvent(live, 10_000, output);
    generator.onPeriodicEmit(output);
    assertThat(emitted).containsExactly(10_000 - 1000 - 1L);
    long start = System.currentTimeMillis();
    while (System.currentTimeMillis() - start < 200) {
      Thread.sleep(20);
    }
    generator.onPeriodicEmit(output);
    assertThat(emitted.get(emitted.size() - 1)).isGreaterThan(10_000 - 1000 - 1L);
  }

  @Test
  void aPartitionReadBehindItsHeadDoesNotMoveOnWhenSilent() throws Exception {
    var generator =
        new EventTimes.SilenceAware(1000, 50, EventTimes.SilenceAware.Silence.FOLLOW_WALL_CLOCK);
    Recorded output = new Recorded();
    java.util.List<Long> emitted = output.watermarks;
    RawRecord old = new RawRecord();
    old.kafkaTimestamp = System.currentTimeMillis() - 60_000; // written a minute ago: a backfill
    generator.onEvent(old, 10_000, output);
    long start = System.currentTimeMillis();
    while (System.currentTimeMillis() - start < 200) {
      Thread.sleep(20);
      generator.onPeriodicEmit(output);
    }
    assertThat(emitted).containsExactly(10_000 - 1000 - 1L);
  }

  @Test
  void aSilentLiveLabelsPartitionIsMarkedIdleUntilALabelComes() throws Exception {
    var generator = new EventTimes.SilenceAware(1000, 50, EventTimes.SilenceAware.Silence.IDLE);
    Recorded output = new Recorded();
    java.util.List<String> calls = output.calls;
    RawRecord live = new RawRecord();
    live.kafkaTimestamp = System.currentTimeMillis();
    generator.onEvent(live, 10_000, output);
    generator.onPeriodicEmit(output);
    long start = System.currentTimeMillis();
    while (System.currentTimeMillis() - start < 200) {
      Thread.sleep(20);
      generator.onPeriodicEmit(output);
    }
    live.kafkaTimestamp = System.currentTimeMillis();
    generator.onEvent(live, 12_000, output);
    generator.onPeriodicEmit(output);
    assertThat(calls).containsExactly("watermark 8999", "idle", "active", "watermark 10999");
  }

  @Test
  void aPartitionWithoutAnyRecordIsIdleAfterTheIdleTimeUntilItsFirstRecord() throws Exception {
    for (var silence : EventTimes.SilenceAware.Silence.values()) {
      var generator = new EventTimes.SilenceAware(1000, 50, silence);
      Recorded output = new Recorded();
      generator.onPeriodicEmit(output);
      assertThat(output.calls).as("at once").isEmpty();
      long start = System.currentTimeMillis();
      while (System.currentTimeMillis() - start < 200) {
        Thread.sleep(20);
        generator.onPeriodicEmit(output);
      }
      RawRecord record = new RawRecord();
      record.kafkaTimestamp = System.currentTimeMillis();
      generator.onEvent(record, 5_000, output);
      generator.onPeriodicEmit(output);
      assertThat(output.calls)
          .as(silence.name())
          .containsExactly("idle", "active", "watermark 3999");
    }
  }

  /** What a generator said: its watermarks, and every call in order. */
  @Test
  void aBackPressuredPartitionIsNotSilentWhileItsActivityClockStandsStill() throws Exception {
    for (var silence : EventTimes.SilenceAware.Silence.values()) {
      // Read live, then blocked: the wall clock runs on, the source's activity clock does not.
      var activity = new org.apache.flink.util.clock.ManualClock();
      var generator = new EventTimes.SilenceAware(1000, 50, silence, activity);
      Recorded output = new Recorded();
      RawRecord live = new RawRecord();
      live.kafkaTimestamp = System.currentTimeMillis();
      generator.onEvent(live, 10_000, output);
      for (int i = 0; i < 5; i++) {
        Thread.sleep(30); // the wall clock passes the idle time; blocked, the source is not silent
        generator.onPeriodicEmit(output);
      }
      assertThat(output.calls).as(silence.name()).containsExactly("watermark 8999");
      activity.advanceTime(java.time.Duration.ofMillis(200)); // unblocked, and no record came
      generator.onPeriodicEmit(output);
      assertThat(output.calls.get(1))
          .as(silence.name())
          .isEqualTo(silence == EventTimes.SilenceAware.Silence.IDLE ? "idle" : "watermark 9149");

      // A partition blocked before its first record is not taken for an empty one.
      var stillborn = new org.apache.flink.util.clock.ManualClock();
      var first = new EventTimes.SilenceAware(1000, 50, silence, stillborn);
      Recorded quiet = new Recorded();
      Thread.sleep(100);
      first.onPeriodicEmit(quiet);
      assertThat(quiet.calls).isEmpty();
      stillborn.advanceTime(java.time.Duration.ofMillis(200));
      first.onPeriodicEmit(quiet);
      assertThat(quiet.calls).containsExactly("idle");
    }
  }

  private static final class Recorded
      implements org.apache.flink.api.common.eventtime.WatermarkOutput {
    final java.util.List<Long> watermarks = new java.util.ArrayList<>();
    final java.util.List<String> calls = new java.util.ArrayList<>();

    @Override
    public void emitWatermark(org.apache.flink.api.common.eventtime.Watermark w) {
      watermarks.add(w.getTimestamp());
      calls.add("watermark " + w.getTimestamp());
    }

    @Override
    public void markIdle() {
      calls.add("idle");
    }

    @Override
    public void markActive() {
      calls.add("active");
    }
  }
}
