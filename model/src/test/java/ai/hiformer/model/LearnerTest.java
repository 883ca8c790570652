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

  @org.junit.jupiter.api.Test
  void aModelTrainedOnSampledNegativesOutputsTheTrueRateItself() {
    // Positives at rate 0.2 whatever the features; a quarter of the negatives kept. The stream's
    // rate is then 0.2 / (0.2 + 0.8 / 4) = 0.5; with the policy the network itself (the forward
    // pass, as scorers and servers read it) must say 0.2, without it about 0.5.
    InputLayout layout = new InputLayout(2, 1, 3, 2);
    double corrected = meanOutputAfterSampledStream(layout, true);
    double uncorrected = meanOutputAfterSampledStream(layout, false);
    assertThat(corrected).isCloseTo(0.2, org.assertj.core.api.Assertions.within(0.04));
    assertThat(uncorrected).isCloseTo(0.5, org.assertj.core.api.Assertions.within(0.06));
  }

  private static double meanOutputAfterSampledStream(InputLayout layout, boolean policy) {
    CtrModel model =
        Models.create(ModelConfig.builder(ModelKind.parse("hiformer")).build(), layout);
    Learner learner = new Learner(model, OptimizerConfig.defaults());
    if (policy) {
      learner.labelPolicy(
          new ai.hiformer.model.train.LabelPolicy(
              ai.hiformer.model.train.LabelPolicy.DelayedLoss.NONE, 0.25));
    }
    java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
    double[] probs = new double[64];
    for (int step = 0; step < 300; step++) {
      Batch stream = TestBatches.random(layout, 64, 1, 30, step);
      int kept = 0;
      for (int i = 0; i < 64; i++) {
        boolean positive = rng.nextDouble() < 0.2;
        if (positive || rng.nextDouble() < 0.25) {
          stream.copyRow(stream, i, kept);
          stream.label[kept] = positive ? 1 : 0;
          stream.labelMask[kept] = 1;
          kept++;
        }
      }
      stream.setSize(kept);
      learner.predictThenTrain(stream, probs);
    }
    Batch fresh = TestBatches.random(layout, 64, 1, 30, 9999);
    double[] logits = new double[64];
    model.forward(fresh, logits);
    double sum = 0;
    for (double z : logits) {
      sum += Loss.sigmoid(z);
    }
    return sum / 64;
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
