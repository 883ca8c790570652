package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The online profile's centred start, and how profiles read and write. */
class StartingProfileTest {
  private static final InputLayout LAYOUT = new InputLayout(3, 1, 3, 2);

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer", "heteroatt", "transformer", "autoint", "dcnv2"})
  void aCentredModelsFirstPredictionsHaveMeanLogitZeroForEverySeed(String kind) {
    Batch batch = TestBatches.random(LAYOUT, 64, 2, 20, 7);
    double uncentredSpread = 0;
    for (long seed = 0; seed < 6; seed++) {
      double[] centred = firstPredictions(kind, seed, true, batch);
      double[] protocol = firstPredictions(kind, seed, false, batch);
      for (int k = 0; k < 2; k++) {
        assertThat(meanLogit(centred, k))
            .as("seed %d task %d", seed, k)
            .isCloseTo(0.0, within(1e-9));
        uncentredSpread = Math.max(uncentredSpread, Math.abs(meanLogit(protocol, k)));
        // The shift is one number per task: the ranking within the batch is the uncentred model's.
        for (int b = 1; b < 64; b++) {
          assertThat(logit(centred[b * 2 + k]) - logit(centred[k]))
              .isCloseTo(logit(protocol[b * 2 + k]) - logit(protocol[k]), within(1e-9));
        }
      }
    }
    // Otherwise the check above would be empty: the random weights do start off centre (the
    // task-token models by far the most: their head reads one layer-normalised token that is nearly
    // the same for every example).
    assertThat(uncentredSpread)
        .isGreaterThan(kind.equals("autoint") || kind.equals("dcnv2") ? 1e-3 : 0.05);
  }

  @Test
  void centringReadsFeaturesNotLabels() {
    Batch batch = TestBatches.random(LAYOUT, 64, 1, 20, 3);
    Batch flipped = TestBatches.random(LAYOUT, 64, 1, 20, 3);
    for (int i = 0; i < flipped.label.length; i++) {
      flipped.label[i] = 1 - flipped.label[i];
    }
    assertThat(firstPredictions("hiformer", 1, true, flipped))
        .containsExactly(firstPredictions("hiformer", 1, true, batch));
  }

  @Test
  void onlyTheFirstAppliedStepIsCentred() {
    CtrModel model =
        Models.create(
            ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).tasks(1).build(), LAYOUT);
    Learner learner = new Learner(model, OptimizerConfig.defaults());
    double[] probs = new double[64];
    learner.predictThenTrain(TestBatches.random(LAYOUT, 64, 1, 20, 1), probs);
    Batch second = TestBatches.random(LAYOUT, 64, 1, 20, 2);
    double[] predicted = new double[64];
    learner.predict(second, predicted);
    learner.predictThenTrain(second, probs);
    assertThat(probs).containsExactly(predicted);
  }

  @Test
  void profilesSetTheirKeysAndLaterKeysWin() {
    ModelConfig online = ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).build();
    assertThat(online.centreFirstLogits()).isTrue();
    assertThat(online.embeddingInitStd()).isEqualTo(0.02);
    ModelConfig protocol = ModelConfig.builder(ModelKind.HIFORMER).build();
    assertThat(protocol.centreFirstLogits()).isFalse();
    assertThat(protocol.embeddingInitStd()).isEqualTo(0.01);

    ModelConfig read =
        ModelConfig.fromProperties("embedding-init-std=0.05\nkind=hiformer\nprofile=online\n");
    assertThat(read.embeddingInitStd())
        .as("a key named in the text wins over the profile")
        .isEqualTo(0.05);
    assertThat(read.centreFirstLogits()).isTrue();
    assertThat(ModelConfig.fromProperties(online.toProperties()).toProperties())
        .isEqualTo(online.toProperties());
    assertThat(online.toProperties())
        .contains("centre-first-logits=true\n")
        .doesNotContain("profile");
    // Text written before the key existed (no centre-first-logits) is the protocol's start, and
    // writes back as read.
    assertThat(protocol.toProperties()).doesNotContain("centre-first-logits");
    assertThat(ModelConfig.fromProperties(protocol.toProperties()).centreFirstLogits()).isFalse();
    assertThatThrownBy(() -> ModelConfig.fromProperties("kind=hiformer\nprofile=fast\n"))
        .hasMessageContaining("profile")
        .hasMessageContaining("protocol, online");
  }

  private static double[] firstPredictions(String kind, long seed, boolean centre, Batch batch) {
    ModelConfig config =
        ModelConfig.builder(ModelKind.parse(kind))
            .tasks(batch.tasks)
            .seed(seed)
            .centreFirstLogits(centre)
            .build();
    Learner learner = new Learner(Models.create(config, LAYOUT), OptimizerConfig.defaults());
    double[] probs = new double[batch.size() * batch.tasks];
    learner.predictThenTrain(batch, probs);
    return probs;
  }

  private static double meanLogit(double[] probs, int task) {
    double sum = 0;
    int n = probs.length / 2;
    for (int b = 0; b < n; b++) {
      sum += logit(probs[b * 2 + task]);
    }
    return sum / n;
  }

  private static double logit(double p) {
    return Math.log(p / (1 - p));
  }
}
