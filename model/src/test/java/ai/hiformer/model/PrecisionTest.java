package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.math.Precision;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import org.junit.jupiter.api.Test;

/**
 * A model's precision is part of its configuration: it travels with its state and decides its
 * products.
 */
class PrecisionTest {
  private static final InputLayout LAYOUT = new InputLayout(3, 1, 3, 2);

  private static ModelConfig config(Precision precision) {
    return ModelConfig.builder(ModelKind.HIFORMER)
        .d(8)
        .rankQ(8)
        .rankK(8)
        .rankV(8)
        .seed(3)
        .precision(precision)
        .build();
  }

  @Test
  void theStateOfADoubleModelSaysSoAndAFloatModelsReadsAsFloat() {
    for (Precision p : Precision.values()) {
      Learner learner = new Learner(Models.create(config(p), LAYOUT), OptimizerConfig.defaults());
      Learner back = LearnerCodec.decode(LearnerCodec.encode(learner), OptimizerConfig.defaults());
      assertThat(back.model().config().precision()).isEqualTo(p);
      assertThat(back.model().params().precision()).isEqualTo(p);
    }
    // Text written before the key existed (or by a float model) has none: it means float, whatever
    // this process's
    // default, so older state keeps its arithmetic.
    assertThat(config(Precision.FLOAT).toProperties()).doesNotContain("precision");
    assertThat(config(Precision.DOUBLE).toProperties()).contains("precision=double\n");
    assertThat(ModelConfig.fromProperties("kind=hiformer\n").precision())
        .isEqualTo(Precision.FLOAT);
  }

  @Test
  void aReplicaCanScoreTheSameWeightsAtAnotherPrecision() {
    CtrModel model = Models.create(config(Precision.DOUBLE), LAYOUT);
    Batch batch = TestBatches.random(LAYOUT, 16, 2, 20, 4);
    double[] own = new double[32];
    double[] replica = new double[32];
    model.forward(batch, own);
    CtrModel same = model.readOnlyReplica();
    assertThat(same.params().precision()).isEqualTo(Precision.DOUBLE);
    same.forward(batch, replica);
    assertThat(replica).containsExactly(own);
    CtrModel floats = model.readOnlyReplica(Precision.FLOAT);
    assertThat(floats.params().precision()).isEqualTo(Precision.FLOAT);
    assertThat(floats.tables()).isSameAs(model.tables());
  }
}
