package ai.hiformer.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.model.Batch;
import ai.hiformer.model.Loss;
import org.junit.jupiter.api.Test;

class LabelPolicyTest {
  @Test
  void trainingShiftTurnsTheTrueRateIntoTheSampledStreamsRate() {
    for (double r : new double[] {0.5, 0.25, 0.1}) {
      LabelPolicy policy = new LabelPolicy(LabelPolicy.DelayedLoss.NONE, r);
      for (double p : new double[] {0.01, 0.2, 0.5, 0.9}) {
        // Keeping a negative with probability r makes the observed positive rate p / (p + r(1 −
        // p)): what the loss must see when the network outputs the true p.
        double observed = p / (p + r * (1 - p));
        double z = Math.log(p / (1 - p));
        assertThat(Loss.sigmoid(z + policy.trainingLogitShift()))
            .isCloseTo(observed, within(1e-12));
        assertThat(policy.report(p)).isEqualTo(p);
      }
    }
    assertThat(LabelPolicy.PLAIN.trainingLogitShift()).isZero();
  }

  @Test
  void fakeNegativeCalibrationUndoesTheDuplicatedPositives() {
    LabelPolicy fnc = new LabelPolicy(LabelPolicy.DelayedLoss.FNC, 1);
    for (double p : new double[] {0.01, 0.2, 0.5, 0.9}) {
      // Every impression a negative, a positive's duplicate besides: b = p / (1 + p).
      assertThat(fnc.report(p / (1 + p))).isCloseTo(p, within(1e-12));
    }
    assertThat(fnc.report(0.7)).isLessThan(1); // b ≥ ½ would be p ≥ 1: clipped below 1
  }

  @Test
  void fakeNegativeWeightsMakeTheTrueProbabilityStationary() {
    // Under fake negatives an example is seen as a positive with probability p / (1 + p) and as a
    // negative with 1 / (1 + p); with FNW's weights the expected gradient vanishes at σ(z) = p.
    for (double p : new double[] {0.05, 0.3, 0.6}) {
      Batch batch = aPositiveAndANegative();
      double[] weights = new double[2];
      Loss.fakeNegativeWeights(batch, new double[] {p, p}, weights);
      double[] grad = gradientsAt(batch, p, weights);
      double expected = p / (1 + p) * grad[0] + 1 / (1 + p) * grad[1];
      assertThat(expected).isCloseTo(0, within(1e-12));
    }
  }

  @Test
  void weightsForAWaitMakeTheTrueProbabilityStationaryWhateverShareArrivesLate() {
    // After a wait, a positive arrives in it with probability 1 − q (learned once, as a positive),
    // else it is learned as a negative and again as a positive: b(1|x) = p / (1 + pq).
    for (double q : new double[] {0, 0.37, 1}) {
      for (double p : new double[] {0.05, 0.55}) {
        Batch batch = aPositiveAndANegative();
        double[] weights = new double[2];
        Loss.fakeNegativeWeights(batch, new double[] {p, p}, q, weights);
        double[] grad = gradientsAt(batch, p, weights);
        double positive = p / (1 + p * q);
        double expected = positive * grad[0] + (1 - positive) * grad[1];
        assertThat(expected).as("q %s, p %s", q, p).isCloseTo(0, within(1e-12));
      }
    }
  }

  @Test
  void weightedLossGradientMatchesFiniteDifferences() {
    Batch batch = new Batch(3, 0, 0, 0, 0, 2);
    batch.setSize(3);
    double[] labels = {1, 0, 0, 1, 1, 0};
    double[] mask = {1, 1, 1, 0, 1, 1};
    System.arraycopy(labels, 0, batch.label, 0, 6);
    System.arraycopy(mask, 0, batch.labelMask, 0, 6);
    double[] z = {0.3, -1.2, 2.0, 0.1, -0.4, 0.7};
    double[] w = {1.5, 0.4, 0.9, 2.0, 1.1, 0.2};
    double[] grad = new double[6];
    Loss.lossAndGradient(batch, z, w, grad);
    double h = 1e-6;
    for (int i = 0; i < 6; i++) {
      double[] up = z.clone();
      double[] down = z.clone();
      up[i] += h;
      down[i] -= h;
      double numeric =
          (Loss.lossAndGradient(batch, up, w, new double[6])
                  - Loss.lossAndGradient(batch, down, w, new double[6]))
              / (2 * h);
      assertThat(grad[i]).as("d loss / d z[%d]", i).isCloseTo(numeric, within(1e-8));
    }
    assertThat(grad[3]).isZero(); // unlabelled
  }

  @Test
  void badSettingsNameTheAllowedValues() {
    assertThatThrownBy(() -> new LabelPolicy(LabelPolicy.DelayedLoss.NONE, 0))
        .hasMessageContaining("(0, 1]");
    assertThatThrownBy(() -> LabelPolicy.DelayedLoss.parse("learn.delayed-loss", "fn"))
        .hasMessageContaining("learn.delayed-loss")
        .hasMessageContaining("none, fnw, fnc");
  }

  /** Two examples, the first a positive, the second a negative. */
  private static Batch aPositiveAndANegative() {
    Batch batch = new Batch(2, 0, 0, 0, 0, 1);
    batch.setSize(2);
    batch.label[0] = 1;
    batch.labelMask[0] = 1;
    batch.labelMask[1] = 1;
    return batch;
  }

  /** The weighted loss's gradients at σ(z) = p for both examples. */
  private static double[] gradientsAt(Batch batch, double p, double[] weights) {
    double z = Math.log(p / (1 - p));
    double[] grad = new double[2];
    Loss.lossAndGradient(batch, new double[] {z, z}, weights, grad);
    return grad;
  }
}
