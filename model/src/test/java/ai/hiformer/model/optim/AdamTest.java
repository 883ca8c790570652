package ai.hiformer.model.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.model.nn.Param;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Adam's moments of a weight whose gradient stopped decay towards zero; they must reach it without
 * passing through subnormal doubles, which the CPU computes with through a slow path.
 */
class AdamTest {
  @Test
  void momentsOfAWeightWhoseGradientStoppedNeverTurnSubnormal() {
    Param p = new Param("w", 4);
    Adam adam = new Adam(List.of(p), 1e-3, 0.9, 0.999, 1e-8);
    p.grad()[0] = 0.5; // weight 0 learns once, then its unit goes quiet; weight 1 keeps learning
    p.grad()[1] = 0.5;
    adam.apply();
    p.grad()[0] = 0;
    int subnormal = 0;
    for (int step = 2; step <= 12_000; step++) {
      adam.apply();
      double[][] mv = adam.moments(0);
      for (double[] moments : mv) {
        for (double x : moments) {
          subnormal += x != 0 && Math.abs(x) < Double.MIN_NORMAL ? 1 : 0;
        }
      }
    }
    // Without the flush, m[0] = 0.05 · 0.9^t is subnormal from about step 6,700 on.
    assertThat(subnormal).as("moment values seen subnormal after a step").isZero();
    assertThat(adam.moments(0)[0][0]).as("the quiet weight's first moment").isZero();
    assertThat(adam.moments(0)[0][1])
        .as("the learning weight's first moment")
        .isCloseTo(0.5, within(1e-9));
    assertThat(p.value()[0])
        .as("the quiet weight took its steps and then kept still")
        .isLessThan(0);
  }
}
