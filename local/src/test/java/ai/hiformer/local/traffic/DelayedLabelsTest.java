package ai.hiformer.local.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.schemas.Event;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DelayedLabelsTest {
  private static Event event(int i, long timeMillis, double label) {
    return Event.newBuilder()
        .setRequestId("r" + i)
        .setModelId("m")
        .setEventTime(Instant.ofEpochMilli(timeMillis))
        .setLabels(Map.of("click", label))
        .build();
  }

  /** Events one second apart, every other one positive. */
  private static List<DelayedLabels.Out> replay(DelayedLabels labels, int n) {
    List<DelayedLabels.Out> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      labels.offer(event(i, 1_000L * i, i % 2), out::add);
    }
    labels.finish(out::add);
    return out;
  }

  @Test
  void impressionsLoseTheirLabelsAndOnlyPositivesFollowOnTheLabelsTopic() {
    List<DelayedLabels.Out> out = replay(new DelayedLabels(500, 1), 1000);
    List<Event> impressions = new ArrayList<>();
    List<DelayedLabels.DelayedLabel> labels = new ArrayList<>();
    for (DelayedLabels.Out o : out) {
      if (o instanceof DelayedLabels.Impression i) {
        impressions.add(i.event());
      } else {
        labels.add((DelayedLabels.DelayedLabel) o);
      }
    }
    assertThat(impressions).hasSize(1000).allSatisfy(e -> assertThat(e.getLabels()).isEmpty());
    assertThat(labels).hasSize(500);
    assertThat(labels)
        .allSatisfy(
            l -> {
              int index = Integer.parseInt(l.label().getRequestId().substring(1));
              assertThat(index % 2).isEqualTo(1);
              assertThat(l.label().getValue()).isEqualTo(1.0);
              assertThat(l.label().getTime().toEpochMilli())
                  .isEqualTo(1_000L * index + l.delayMillis());
            });
  }

  @Test
  void theOutputIsInEventTimeOrder() {
    List<DelayedLabels.Out> out = replay(new DelayedLabels(3_000, 2), 2000);
    for (int i = 1; i < out.size(); i++) {
      assertThat(out.get(i).timeMillis()).isGreaterThanOrEqualTo(out.get(i - 1).timeMillis());
    }
  }

  @Test
  void delaysAreExponentialWithTheGivenMean() {
    List<DelayedLabels.Out> out = replay(new DelayedLabels(2_000, 3), 40_000);
    long[] delays =
        out.stream()
            .filter(o -> o instanceof DelayedLabels.DelayedLabel)
            .mapToLong(o -> ((DelayedLabels.DelayedLabel) o).delayMillis())
            .toArray();
    double mean = java.util.Arrays.stream(delays).average().orElseThrow();
    assertThat(mean).isBetween(1_900.0, 2_100.0);
    long window = DelayedLabels.windowFor(2_000, 0.10);
    double late =
        java.util.Arrays.stream(delays).filter(d -> d > window).count() / (double) delays.length;
    assertThat(late).isBetween(0.09, 0.11);
    assertThat(DelayedLabels.fractionAfter(2_000, window))
        .isCloseTo(0.10, org.assertj.core.data.Offset.offset(1e-3));
  }

  @Test
  void theSameSeedGivesTheSameDelaysAndAnotherSeedOtherOnes() {
    assertThat(replay(new DelayedLabels(1_000, 7), 500))
        .isEqualTo(replay(new DelayedLabels(1_000, 7), 500));
    assertThat(replay(new DelayedLabels(1_000, 7), 500))
        .isNotEqualTo(replay(new DelayedLabels(1_000, 8), 500));
  }

  @Test
  void aZeroDelaySendsEachLabelRightAfterItsImpression() {
    List<DelayedLabels.Out> out = replay(new DelayedLabels(0, 1), 10);
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i) instanceof DelayedLabels.DelayedLabel l) {
        Event before = ((DelayedLabels.Impression) out.get(i - 1)).event();
        assertThat(before.getRequestId()).isEqualTo(l.label().getRequestId());
      }
    }
  }

  @Test
  void aNegativeOrNonFiniteMeanIsRefused() {
    assertThatThrownBy(() -> new DelayedLabels(-1, 0)).hasMessageContaining("mean label delay");
    assertThatThrownBy(() -> new DelayedLabels(Double.NaN, 0)).hasMessageContaining(">= 0 ms");
  }
}
