package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LearnerTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer", "heteroatt", "autoint", "dcnv2", "lr"})
  void theSameSeedAndDataGiveBitIdenticalWeights(String kind) {
    double[] a = trainAndFlatten(kind, 5);
    double[] b = trainAndFlatten(kind, 5);
    double[] other = trainAndFlatten(kind, 6);
    assertThat(a).containsExactly(b);
    if (!kind.equals("lr")) { // LR starts at zero whatever the seed
      assertThat(a).isNotEqualTo(other);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer", "dcnv2"})
  void aSteadyStateTrainingStepAllocatesNothing(String kind) {
    InputLayout layout = new InputLayout(3, 1, 3, 2);
    Learner learner =
        new Learner(
            Models.create(ModelConfig.builder(ModelKind.parse(kind)).build(), layout),
            OptimizerConfig.defaults());
    long perStep = TestBatches.bytesPerSteadyStep(learner, layout);
    assertThat(perStep).as("bytes allocated per training step").isLessThan(64);
  }

  private static double[] trainAndFlatten(String kind, long seed) {
    InputLayout layout = new InputLayout(2, 1, 3, 2);
    CtrModel model =
        Models.create(ModelConfig.builder(ModelKind.parse(kind)).seed(seed).build(), layout);
    Learner learner = new Learner(model, OptimizerConfig.defaults());
    double[] probs = new double[32];
    for (int i = 0; i < 10; i++) {
      learner.predictThenTrain(TestBatches.random(layout, 32, 1, 30, 100 + i), probs);
    }
    java.util.List<Double> all = new java.util.ArrayList<>();
    for (Param p : model.params().all()) {
      for (double v : p.value()) {
        all.add(v);
      }
    }
    for (EmbeddingTable t : model.tables()) {
      for (double v : TableRows.values(t)) {
        all.add(v);
      }
    }
    return all.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
