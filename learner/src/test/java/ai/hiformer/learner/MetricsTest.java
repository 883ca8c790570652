package ai.hiformer.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void aucEqualsThePairwiseDefinitionWithTiesCountingHalf() {
    SplittableRandom rng = new SplittableRandom(7);
    int n = 500;
    double[] p = new double[n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      p[i] = rng.nextInt(20) / 20.0; // many ties
      y[i] = rng.nextDouble() < 0.3 + 0.5 * p[i] ? 1 : 0;
    }
    double wins = 0;
    long pairs = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        if (y[i] == 1 && y[j] == 0) {
          pairs++;
          wins += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
        }
      }
    }
    assertThat(Metrics.auc(p, y, 0, n)).isCloseTo(wins / pairs, within(1e-12));
  }

  @Test
  void aucIsUndefinedWithOneClass() {
    assertThat(Metrics.auc(new double[] {0.1, 0.9}, new double[] {1, 1}, 0, 2)).isNaN();
  }

  @Test
  void aucOfAPerfectRankingIsOneAndOfAReversedOneIsZero() {
    double[] p = {0.1, 0.2, 0.8, 0.9};
    assertThat(Metrics.auc(p, new double[] {0, 0, 1, 1}, 0, 4)).isEqualTo(1.0);
    assertThat(Metrics.auc(p, new double[] {1, 1, 0, 0}, 0, 4)).isEqualTo(0.0);
  }

  @Test
  void logLossClipsProbabilities() {
    double ll = Metrics.logLoss(new double[] {1.0, 0.0}, new double[] {0, 1}, 0, 2);
    assertThat(ll).isCloseTo(-Math.log(1e-7), within(1e-9));
  }

  @Test
  void normalisedEntropyIsOneForTheBaseRateAndCalibrationComparesSums() {
    double[] y = {1, 0, 0, 0};
    double[] base = {0.25, 0.25, 0.25, 0.25};
    assertThat(Metrics.normalisedEntropy(base, y, 0, 4)).isCloseTo(1.0, within(1e-12));
    assertThat(Metrics.calibration(base, y, 0, 4)).isCloseTo(1.0, within(1e-12));
    double[] under = {0.2, 0.1, 0.1, 0.1};
    assertThat(Metrics.calibration(under, y, 0, 4)).isCloseTo(0.5, within(1e-12));
    assertThat(Metrics.normalisedEntropy(base, new double[] {0, 0, 0, 0}, 0, 4)).isNaN();
  }

  @Test
  void progressiveMetricsAgreeWithTheExactOnes() {
    SplittableRandom rng = new SplittableRandom(3);
    int n = 20_000;
    double[] p = new double[n];
    double[] y = new double[n];
    ProgressiveMetrics m = new ProgressiveMetrics();
    for (int i = 0; i < n; i++) {
      p[i] = rng.nextDouble();
      y[i] = rng.nextDouble() < 0.3 + 0.4 * p[i] ? 1 : 0;
      m.add(p[i], y[i]);
    }
    assertThat(m.normalisedEntropy())
        .isCloseTo(Metrics.normalisedEntropy(p, y, 0, n), within(1e-9));
    assertThat(m.calibration()).isCloseTo(Metrics.calibration(p, y, 0, n), within(1e-4));
    assertThat(m.auc()).isCloseTo(Metrics.auc(p, y, 0, n), within(1e-3));
  }

  @Test
  void reliabilityCutsTheSortedPredictionsIntoEqualGroups() {
    // 20 rows: predictions 0.0, 0.05, ..., 0.95 in scrambled order; the upper half positive
    double[] p = new double[20];
    double[] y = new double[20];
    for (int i = 0; i < 20; i++) {
      int k = (i * 7) % 20;
      p[i] = k * 0.05;
      y[i] = k >= 10 ? 1 : 0;
    }
    java.util.List<double[]> bins = Metrics.reliability(p, y, 0, 20, 4);
    assertThat(bins).hasSize(4);
    assertThat(bins.get(0)).containsExactly(new double[] {0.1, 0.0, 5.0}, within(1e-12));
    assertThat(bins.get(1)[1]).isZero();
    assertThat(bins.get(2)).containsExactly(new double[] {0.6, 1.0, 5.0}, within(1e-12));
    assertThat(bins.get(3)[0]).isCloseTo(0.85, within(1e-12));
    // fewer rows than bins: the empty groups are left out
    assertThat(Metrics.reliability(p, y, 0, 3, 10)).hasSize(3);
  }
}
