package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A NaN or infinite input never reaches the model: the step is skipped whole and counted. Whole
 * means the weights, the embedding rows, the Adagrad accumulators, both Adam moments and Adam's
 * step count (a counted step would change every later bias correction) and the learner's step
 * count.
 */
class NonFiniteGuardTest {

  /** With threads, the poisoned example sits in the last shard, learnt on a training replica. */
  @ParameterizedTest(name = "{0} on {1} thread(s)")
  @CsvSource({
    "hiformer, 1",
    "heteroatt, 1",
    "autoint, 1",
    "dcnv2, 1",
    "lr, 1",
    "hiformer, 2",
    "dcnv2, 3",
    "lr, 2"
  })
  void aBatchWithANonFiniteValueLeavesEveryWeightUnchanged(String kind, int threads) {
    InputLayout layout = new InputLayout(2, 1, 3, 2);
    CtrModel model = Models.create(ModelConfig.builder(ModelKind.parse(kind)).build(), layout);
    Learner learner = new Learner(model, OptimizerConfig.defaults());
    learner.threads(threads);
    Batch good = TestBatches.random(layout, 16, 1, 5, 1);
    double[] probs = new double[16];
    assertThat(learner.predictThenTrain(good, probs)).isTrue();

    List<double[]> before = snapshot(learner);
    long adamStepBefore = learner.adam().step();
    long stepsBefore = learner.steps();
    for (double bad :
        new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      Batch poisoned = TestBatches.random(layout, 16, 1, 5, 2);
      poisoned.num[15 * layout.nNum()] = bad; // example 15 of 16
      boolean applied = learner.predictThenTrain(poisoned, probs);
      assertThat(applied).as("step with %s applied", bad).isFalse();
    }
    assertThat(learner.skippedSteps()).isEqualTo(3);
    assertThat(learner.adam().step()).as("Adam's step count").isEqualTo(adamStepBefore);
    assertThat(learner.steps()).as("the learner's step count").isEqualTo(stepsBefore);
    List<double[]> after = snapshot(learner);
    for (int i = 0; i < before.size(); i++) {
      assertThat(after.get(i)).as("state array #%d", i).containsExactly(before.get(i));
    }
    // And learning resumes on clean data.
    assertThat(learner.predictThenTrain(TestBatches.random(layout, 16, 1, 5, 3), probs)).isTrue();
    assertThat(learner.adam().step()).isEqualTo(adamStepBefore + 1);
    for (double[] w : snapshot(learner)) {
      for (double v : w) {
        assertThat(Double.isFinite(v)).isTrue();
      }
    }
    learner.close();
  }

  /**
   * Every array of learned state: weights, Adam's first and second moments, embedding rows,
   * accumulators.
   */
  private static List<double[]> snapshot(Learner learner) {
    CtrModel model = learner.model();
    List<double[]> out = new ArrayList<>();
    List<Param> params = model.params().all();
    for (int i = 0; i < params.size(); i++) {
      out.add(params.get(i).value().clone());
      for (double[] moment : learner.adam().moments(i)) {
        out.add(moment.clone());
      }
    }
    for (EmbeddingTable t : model.tables()) {
      out.add(TableRows.values(t));
      out.add(TableRows.accumulators(t));
    }
    return out;
  }
}
