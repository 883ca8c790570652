package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A NaN or infinite input never reaches the weights: the step is skipped whole and counted. */
class NonFiniteGuardTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer", "heteroatt", "autoint", "dcnv2", "lr"})
  void aBatchWithANonFiniteValueLeavesEveryWeightUnchanged(String kind) {
    InputLayout layout = new InputLayout(2, 1, 3, 2);
    CtrModel model = Models.create(ModelConfig.builder(ModelKind.parse(kind)).build(), layout);
    Learner learner = new Learner(model, OptimizerConfig.defaults());
    Batch good = TestBatches.random(layout, 16, 1, 5, 1);
    double[] probs = new double[16];
    assertThat(learner.predictThenTrain(good, probs)).isTrue();

    List<double[]> before = snapshot(model);
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      Batch poisoned = TestBatches.random(layout, 16, 1, 5, 2);
      poisoned.num[3] = bad;
      boolean applied = learner.predictThenTrain(poisoned, probs);
      assertThat(applied).as("step with %s applied", bad).isFalse();
    }
    assertThat(learner.skippedSteps()).isEqualTo(3);
    List<double[]> after = snapshot(model);
    for (int i = 0; i < before.size(); i++) {
      assertThat(after.get(i)).as("weights #%d", i).containsExactly(before.get(i));
    }
    // And learning resumes on clean data.
    assertThat(learner.predictThenTrain(TestBatches.random(layout, 16, 1, 5, 3), probs)).isTrue();
    for (double[] w : snapshot(model)) {
      for (double v : w) {
        assertThat(Double.isFinite(v)).isTrue();
      }
    }
  }

  private static List<double[]> snapshot(CtrModel model) {
    List<double[]> out = new ArrayList<>();
    for (Param p : model.params().all()) {
      out.add(p.value().clone());
    }
    for (EmbeddingTable t : model.tables()) {
      out.add(java.util.Arrays.copyOf(t.values(), t.rows() * t.dim()));
      out.add(java.util.Arrays.copyOf(t.accumulators(), t.rows() * t.dim()));
    }
    return out;
  }
}
