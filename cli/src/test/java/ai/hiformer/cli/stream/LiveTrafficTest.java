package ai.hiformer.cli.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LiveTrafficTest {
  private static Event base(int i, double label) {
    return Event.newBuilder()
        .setRequestId("old" + i)
        .setModelId("movielens")
        .setEventTime(Instant.ofEpochSecond(874_724_710L))
        .setCategorical(Map.of("user_id", "u" + i))
        .setNumeric(Map.of("age", 21.0 + i))
        .setMulti(Map.of("genres", List.of("0", "4")))
        .setLabels(Map.of("like", label))
        .build();
  }

  @Test
  void aSplicedEventDecodesAsTheBaseEventWithItsNewRequestIdAndTime() throws Exception {
    LiveTraffic traffic =
        new LiveTraffic(List.of(base(0, 1), base(1, 0)), Traffic.Labels.INLINE, 0, 1);
    WireCodec<Event> codec = WireCodec.events();
    for (long index : new long[] {0, 1, 2, 12_345_678_901L}) {
      long time = 1_765_000_000_000L + index;
      Event e = codec.decode(traffic.event(index, time));
      Event expected = base((int) (index % 2), index % 2 == 0 ? 1 : 0);
      assertThat(e.getRequestId()).isEqualTo("r" + index);
      assertThat(e.getEventTime()).isEqualTo(Instant.ofEpochMilli(time));
      assertThat(e.getModelId()).isEqualTo("movielens");
      assertThat(e.getCategorical()).isEqualTo(expected.getCategorical());
      assertThat(e.getNumeric()).isEqualTo(expected.getNumeric());
      assertThat(e.getMulti()).isEqualTo(expected.getMulti());
      assertThat(e.getLabels()).isEqualTo(expected.getLabels());
    }
  }

  @Test
  void withLabelsOnTheirTopicEventsGoWithoutAndPositivesFollowWhenDue() throws Exception {
    LiveTraffic traffic =
        new LiveTraffic(List.of(base(0, 1), base(1, 0)), Traffic.Labels.TOPIC, 1000, 7);
    WireCodec<Event> events = WireCodec.events();
    WireCodec<Label> labels = WireCodec.labels();
    for (int i = 0; i < 100; i++) {
      assertThat(events.decode(traffic.event(i, 10_000 + i)).getLabels()).isEmpty();
    }
    assertThat(traffic.dueLabels(9_999)).isEmpty();
    List<byte[]> due = traffic.dueLabels(Long.MAX_VALUE);
    assertThat(due).hasSize(50);
    long previous = Long.MIN_VALUE;
    for (byte[] b : due) {
      Label l = labels.decode(b);
      int index = Integer.parseInt(l.getRequestId().substring(1));
      assertThat(index % 2).isZero();
      assertThat(l.getTask()).isEqualTo("like");
      assertThat(l.getTime().toEpochMilli()).isGreaterThanOrEqualTo(10_000 + index);
      assertThat(l.getTime().toEpochMilli()).isGreaterThanOrEqualTo(previous);
      previous = l.getTime().toEpochMilli();
    }
    assertThat(traffic.dueLabels(Long.MAX_VALUE)).isEmpty();
  }
}
