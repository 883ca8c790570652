package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LearnerCodecTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer", "heteroatt", "autoint", "dcnv2", "lr", "hiformer+dcnv2+lr"})
  void aRestoredLearnerContinuesExactlyAsTheOriginal(String kind) {
    InputLayout layout = new InputLayout(2, 1, 3, 2);
    OptimizerConfig opt = OptimizerConfig.defaults();
    Learner original =
        new Learner(Models.create(ModelConfig.builder(kind).tasks(2).seed(4).build(), layout), opt);
    double[] probs = new double[64];
    for (int i = 0; i < 5; i++) {
      original.predictThenTrain(TestBatches.random(layout, 32, 2, 40, i), probs);
    }
    byte[] state = LearnerCodec.encode(original);
    Learner restored = LearnerCodec.decode(state, opt);
    assertThat(restored.steps()).isEqualTo(original.steps());
    // Both continue on the same data: every later state must be byte-identical.
    for (int i = 5; i < 8; i++) {
      Batch b = TestBatches.random(layout, 32, 2, 60, i);
      original.predictThenTrain(b, probs);
      restored.predictThenTrain(b, probs);
    }
    assertThat(LearnerCodec.encode(restored)).isEqualTo(LearnerCodec.encode(original));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"truncated", "flipped", "version"})
  void damagedStateIsRejectedWithAReason(String damage) {
    InputLayout layout = new InputLayout(2, 0, 0, 1);
    Learner l =
        new Learner(
            Models.create(ModelConfig.builder(ModelKind.HIFORMER).build(), layout),
            OptimizerConfig.defaults());
    byte[] state = LearnerCodec.encode(l);
    byte[] bad =
        switch (damage) {
          case "truncated" -> java.util.Arrays.copyOf(state, state.length / 2);
          case "flipped" -> {
            byte[] c = state.clone();
            c[c.length / 2] ^= 1;
            yield c;
          }
          default -> {
            byte[] c = state.clone();
            c[3] = '9';
            yield c;
          }
        };
    assertThatThrownBy(() -> LearnerCodec.decode(bad, OptimizerConfig.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            damage.equals("version") ? "format v9 is not supported by this version" : "checksum");
  }
}
