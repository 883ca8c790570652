package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * hiformer+dcnv2+lr: members learn as alone, the stacker follows their losses, the text form reads
 * back.
 */
class BlendModelTest {
  private static final InputLayout LAYOUT = new InputLayout(3, 1, 3, 2);
  private static final String BLEND = "hiformer+dcnv2+lr";

  @Test
  void eachMemberLearnsExactlyAsItWouldAlone() {
    ModelConfig config =
        ModelConfig.builder(BLEND).profile(ModelProfile.ONLINE).tasks(2).seed(3).build();
    BlendModel blend = (BlendModel) Models.create(config, LAYOUT);
    Learner together = new Learner(blend, OptimizerConfig.defaults());
    double[] probs = new double[64 * 2];
    for (int i = 0; i < 6; i++) {
      together.predictThenTrain(TestBatches.random(LAYOUT, 64, 2, 30, i), probs);
    }
    for (int k = 0; k < 3; k++) {
      CtrModel alone = Models.create(config.member(k), LAYOUT);
      Learner learner = new Learner(alone, OptimizerConfig.defaults());
      for (int i = 0; i < 6; i++) {
        learner.predictThenTrain(TestBatches.random(LAYOUT, 64, 2, 30, i), probs);
      }
      List<Param> a = alone.params().all();
      List<Param> b = blend.member(k).params().all();
      for (int p = 0; p < a.size(); p++) {
        assertThat(b.get(p).value())
            .as(config.members().get(k) + " " + a.get(p).name())
            .containsExactly(a.get(p).value());
      }
      for (int t = 0; t < alone.tables().size(); t++) {
        assertThat(ai.hiformer.model.nn.RowCopies.values(blend.member(k).tables().get(t)))
            .containsExactly(ai.hiformer.model.nn.RowCopies.values(alone.tables().get(t)));
      }
    }
  }

  @Test
  void theBlendIsTheMembersMeanLogitWeightedByTheirPastLosses() {
    ModelConfig config = ModelConfig.builder(BLEND).tasks(1).seed(1).build();
    BlendModel blend = (BlendModel) Models.create(config, LAYOUT);
    Learner learner = new Learner(blend, OptimizerConfig.defaults());
    double[] probs = new double[64];
    double[] losses = new double[3];
    for (int i = 0; i < 8; i++) {
      Batch batch = TestBatches.random(LAYOUT, 64, 1, 30, i);
      learner.predictThenTrain(batch, probs);
      for (int k = 0; k < 3; k++) {
        assertThat(blend.weight(k, 0))
            .as("weights before batch %d", i)
            .isCloseTo(hedge(losses, k), within(1e-12));
      }
      for (int k = 0; k < 3; k++) {
        for (int b = 0; b < 64; b++) {
          losses[k] += Loss.bceWithLogits(blend.memberLogits(k)[b], batch.label[b]);
        }
      }
      for (int b = 0; b < 64; b++) {
        double z = 0;
        for (int k = 0; k < 3; k++) {
          z += blend.weight(k, 0) * blend.memberLogits(k)[b];
        }
        assertThat(probs[b]).isCloseTo(Loss.sigmoid(z), within(1e-12));
      }
    }
    // The weights have moved: the member with the lowest loss so far weighs the most.
    int best =
        losses[0] <= losses[1] && losses[0] <= losses[2] ? 0 : losses[1] <= losses[2] ? 1 : 2;
    double[] next = new double[64];
    learner.predict(TestBatches.random(LAYOUT, 64, 1, 30, 99), next);
    for (int k = 0; k < 3; k++) {
      assertThat(blend.weight(best, 0)).isGreaterThanOrEqualTo(blend.weight(k, 0));
    }
    assertThat(blend.weight(best, 0)).isGreaterThan(1.0 / 3);
  }

  @Test
  void aReadOnlyReplicaScoresAsTheBlend() {
    ModelConfig config = ModelConfig.builder(BLEND).profile(ModelProfile.ONLINE).tasks(1).build();
    CtrModel blend = Models.create(config, LAYOUT);
    Learner learner = new Learner(blend, OptimizerConfig.defaults());
    double[] probs = new double[64];
    for (int i = 0; i < 4; i++) {
      learner.predictThenTrain(TestBatches.random(LAYOUT, 64, 1, 30, i), probs);
    }
    Batch batch = TestBatches.random(LAYOUT, 64, 1, 30, 50);
    double[] a = new double[64];
    double[] b = new double[64];
    blend.forward(batch, a);
    blend.readOnlyReplica().forward(batch, b);
    assertThat(b).containsExactly(a);
  }

  @Test
  void theKindIsWrittenAsItsMembersAndBadBlendsAreRefused() {
    ModelConfig config = ModelConfig.builder(BLEND).build();
    assertThat(config.kind()).isEqualTo(ModelKind.BLEND);
    assertThat(config.name()).isEqualTo(BLEND);
    assertThat(config.toProperties()).startsWith("kind=hiformer+dcnv2+lr\n");
    assertThat(ModelConfig.fromProperties(config.toProperties()).members())
        .containsExactly(ModelKind.HIFORMER, ModelKind.DCNV2, ModelKind.LR);
    assertThatThrownBy(() -> ModelConfig.builder("hiformer+hiformer").build())
        .hasMessageContaining("model.kind")
        .hasMessageContaining("two or more different");
    assertThatThrownBy(() -> ModelConfig.builder("hiformer+xgboost"))
        .hasMessageContaining("unknown model 'xgboost'");
    assertThatThrownBy(() -> ModelConfig.builder("blend"))
        .hasMessageContaining("unknown model 'blend'");
  }

  private static double hedge(double[] losses, int k) {
    double min = Math.min(losses[0], Math.min(losses[1], losses[2]));
    double sum = 0;
    for (double l : losses) {
      sum += Math.exp(-BlendModel.ETA * (l - min));
    }
    return Math.exp(-BlendModel.ETA * (losses[k] - min)) / sum;
  }
}
