package ai.hiformer.learner;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.Batch;
import ai.hiformer.model.InputLayout;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The gate's decisions on predictions of known quality, its bound on a hold, and its state. */
class QualityGateTest {
  private static final int WINDOW = 512;
  private final SplittableRandom rng = new SplittableRandom(1);
  private final Batch batch = new InputLayout(1, 0, 0, 0).newBatch(256, 1);

  /**
   * 256 labelled predictions whose AUC is about {@code quality} (0.5: none, 1: perfect, below 0.5:
   * inverted).
   */
  private void feed(QualityGate gate, double quality) {
    double[] probs = new double[256];
    for (int b = 0; b < 256; b++) {
      double label = rng.nextDouble() < 0.3 ? 1 : 0;
      batch.label[b] = label;
      batch.labelMask[b] = 1;
      double signal =
          rng.nextDouble() < Math.abs(quality - 0.5) * 2
              ? (quality >= 0.5 ? label : 1 - label)
              : 0.5;
      probs[b] = 0.25 * signal + 0.5 * rng.nextDouble();
    }
    batch.setSize(256);
    gate.record(batch, probs, new java.util.BitSet());
  }

  @Test
  void aDropBeyondTheMarginIsHeldUntilTheModelComesBack() {
    List<String> heard = new ArrayList<>();
    QualityGate gate = new QualityGate(List.of("click"));
    gate.configure(WINDOW, 0.05, 0, heard::add);
    feed(gate, 0.9);
    assertThat(gate.admit()).as("window not full: no evidence to hold").isTrue();
    feed(gate, 0.9);
    assertThat(gate.admit()).as("first full window: the reference").isTrue();
    feed(gate, 0.88);
    feed(gate, 0.88);
    assertThat(gate.admit()).as("within the margin").isTrue();
    feed(gate, 0.2);
    feed(gate, 0.2);
    assertThat(gate.admit()).isFalse();
    assertThat(gate.admit()).isFalse();
    assertThat(gate.held()).isEqualTo(2);
    assertThat(heard)
        .hasSize(2)
        .allSatisfy(r -> assertThat(r).startsWith("click: AUC").contains("margin 0.0500"));
    for (int i = 0; i < 10; i++) {
      feed(gate, 0.7);
      assertThat(gate.admit()).as("recovered only part of the way").isFalse();
    }
    feed(gate, 0.9);
    feed(gate, 0.9);
    assertThat(gate.admit()).as("back within the margin").isTrue();
  }

  @Test
  void aBoundedHoldAcceptsTheNewLevelAfterThatManyExamples() {
    List<String> heard = new ArrayList<>();
    QualityGate gate = new QualityGate(List.of("click"));
    gate.configure(WINDOW, 0.05, 2048, heard::add);
    for (int i = 0; i < 2; i++) {
      feed(gate, 0.9);
    }
    assertThat(gate.admit()).isTrue();
    int holds = 0;
    boolean admitted = false;
    while (!admitted && holds < 20) {
      feed(gate, 0.7); // a lasting lower level
      admitted = gate.admit();
      holds += admitted ? 0 : 1;
    }
    assertThat(admitted).isTrue();
    assertThat(holds).as("held for 2,048 examples, 256 a step").isEqualTo(8);
    assertThat(heard.get(heard.size() - 1)).contains("accepting AUC").contains("new level");
    feed(gate, 0.7);
    assertThat(gate.admit()).as("the new level is the reference now").isTrue();
  }

  @Test
  void itsStateRestoresUnderTheSamePolicyAndAnEmptyGateWritesNothing() throws Exception {
    QualityGate gate = new QualityGate(List.of("click"));
    gate.configure(WINDOW, 0.05, 0, r -> {});
    assertThat(bytes(gate)).as("nothing seen, nothing written").isEmpty();
    for (int i = 0; i < 3; i++) {
      feed(gate, 0.9);
    }
    gate.admit();
    feed(gate, 0.2);
    feed(gate, 0.2);
    assertThat(gate.admit()).isFalse();
    byte[] state = bytes(gate);
    QualityGate restored = new QualityGate(List.of("click"));
    restored.restore(state);
    assertThat(bytes(restored)).as("kept as it was until configured").isEqualTo(state);
    restored.configure(WINDOW, 0.05, 0, r -> {});
    assertThat(bytes(restored)).isEqualTo(state);
    assertThat(restored.held()).isEqualTo(1);
    assertThat(restored.admit())
        .as("the same decision as the original")
        .isEqualTo(gate.admit())
        .isFalse();
  }

  private static byte[] bytes(QualityGate gate) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    gate.writeTo(new DataOutputStream(out));
    return out.toByteArray();
  }
}
