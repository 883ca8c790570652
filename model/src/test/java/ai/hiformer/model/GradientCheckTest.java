package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.math.Activation;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Central-difference gradient checks in double precision for every model and every option: each
 * dense parameter element and each element of every touched embedding row.
 */
class GradientCheckTest {
  private static final double H = 1e-6;
  private static final double TABLE_H =
      1e-4; // float32 rows: see centralDifference(.., EmbeddingTable, ..)
  private static final double REL_TOL = 1e-5;
  private static final double ABS_FLOOR = 1e-8;

  /** A tiny attention model of {@code kind}: d 4, 2 heads of key and value width 2. */
  private static ModelConfig.Builder tiny(ModelKind kind) {
    return ModelConfig.builder(kind)
        .d(4)
        .heads(2)
        .keyDim(2)
        .valueDim(2)
        .ffnHidden(6)
        .headHidden(5)
        .embeddingInitStd(0.5);
  }

  /** {@link #tiny} Hiformer with low-rank projections of ranks 3, 3 and 4. */
  private static ModelConfig.Builder tinyHiformer() {
    return tiny(ModelKind.HIFORMER).rankQ(3).rankK(3).rankV(4);
  }

  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of("hiformer pruned low-rank", tinyHiformer().valueDim(3).rankV(5).build()),
        Arguments.of(
            "hiformer unpruned", tinyHiformer().valueDim(3).rankV(5).pruneLastLayer(false).build()),
        Arguments.of("hiformer two layers", tinyHiformer().layers(2).build()),
        Arguments.of("hiformer full rank", tiny(ModelKind.HIFORMER).fullRank(true).build()),
        Arguments.of("hiformer gelu", tinyHiformer().ffnActivation(Activation.GELU).build()),
        Arguments.of(
            "hiformer dense-mlp tokens", tinyHiformer().denseTokens(2).denseHidden(5).build()),
        Arguments.of("hiformer two tasks", tinyHiformer().tasks(2).build()),
        Arguments.of("heteroatt", tiny(ModelKind.HETERO_ATT).build()),
        Arguments.of("heteroatt two layers", tiny(ModelKind.HETERO_ATT).layers(2).build()),
        Arguments.of("transformer", tiny(ModelKind.TRANSFORMER).build()),
        Arguments.of(
            "autoint",
            ModelConfig.builder(ModelKind.AUTOINT)
                .d(4)
                .heads(2)
                .keyDim(3)
                .embeddingInitStd(0.5)
                .build()),
        Arguments.of(
            "autoint two tasks",
            ModelConfig.builder(ModelKind.AUTOINT)
                .d(4)
                .heads(2)
                .keyDim(3)
                .tasks(2)
                .embeddingInitStd(0.5)
                .build()),
        Arguments.of(
            "dcnv2",
            ModelConfig.builder(ModelKind.DCNV2).d(3).dcnMlp(6, 4).embeddingInitStd(0.5).build()),
        Arguments.of(
            "dcnv2 dense-mlp tokens",
            ModelConfig.builder(ModelKind.DCNV2)
                .d(3)
                .dcnMlp(6, 4)
                .denseTokens(1)
                .denseHidden(4)
                .embeddingInitStd(0.5)
                .build()),
        Arguments.of("lr", ModelConfig.builder(ModelKind.LR).build()),
        Arguments.of("lr two tasks", ModelConfig.builder(ModelKind.LR).tasks(2).build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void analyticGradientsMatchCentralDifferences(String name, ModelConfig config) {
    InputLayout layout = new InputLayout(2, 1, 3, 2);
    CtrModel model = Models.create(config, layout);
    Batch batch = TestBatches.random(layout, 7, config.tasks(), 4, 42);
    // LR starts at zero; move it off zero so that every path carries signal.
    if (config.kind() == ModelKind.LR) {
      perturbAll(model, new SplittableRandom(3));
    }
    TestBatches.gradients(model, batch);

    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (Param p : model.params().all()) {
      double[] w = p.value();
      double[] analytic = p.grad().clone();
      for (int i = 0; i < w.length; i++) {
        double numeric = centralDifference(model, batch, w, i);
        checked++;
        if (!close(analytic[i], numeric)) {
          failures.add(
              String.format(
                  "%s[%d]: analytic %.12g numeric %.12g", p.name(), i, analytic[i], numeric));
        }
      }
    }
    for (EmbeddingTable t : model.tables()) {
      double[] g = t.grads().clone();
      int[] rows = t.touchedRows().clone();
      int touched = t.touchedCount();
      assertThat(touched).as("rows touched in %s", t.name()).isPositive();
      for (int r = 0; r < touched; r++) {
        for (int j = 0; j < t.dim(); j++) {
          int slot = r * t.dim() + j; // gradient slots follow first touch
          double numeric = centralDifference(model, batch, t, rows[r], j);
          checked++;
          if (!close(g[slot], numeric)) {
            failures.add(
                String.format(
                    "%s row %d[%d]: analytic %.12g numeric %.12g",
                    t.name(), rows[r], j, g[slot], numeric));
          }
        }
      }
    }
    assertThat(checked).isGreaterThan(10);
    assertThat(failures).as("gradient mismatches of %s", name).isEmpty();
  }

  private static boolean close(double analytic, double numeric) {
    return Math.abs(analytic - numeric)
        <= REL_TOL * Math.max(Math.abs(analytic), Math.abs(numeric)) + ABS_FLOOR;
  }

  private static double centralDifference(CtrModel model, Batch batch, double[] w, int i) {
    double orig = w[i];
    w[i] = orig + H;
    double plus = loss(model, batch);
    w[i] = orig - H;
    double minus = loss(model, batch);
    w[i] = orig;
    return (plus - minus) / (2 * H);
  }

  /**
   * Rows are stored in float32, which cannot hold w ± 1e-6 exactly: the step is larger and the
   * difference is divided by the perturbation actually stored, so rounding of the weight does not
   * enter the estimate.
   */
  private static double centralDifference(
      CtrModel model, Batch batch, EmbeddingTable t, int row, int j) {
    double orig = t.value(row, j);
    t.setValue(row, j, orig + TABLE_H);
    double up = t.value(row, j);
    double plus = loss(model, batch);
    t.setValue(row, j, orig - TABLE_H);
    double down = t.value(row, j);
    double minus = loss(model, batch);
    t.setValue(row, j, orig);
    return (plus - minus) / (up - down);
  }

  static double loss(CtrModel model, Batch batch) {
    double[] logits = new double[batch.size() * batch.tasks];
    double[] scratch = new double[logits.length];
    model.forward(batch, logits);
    return Loss.lossAndGradient(batch, logits, scratch);
  }

  private static void perturbAll(CtrModel model, SplittableRandom rng) {
    for (Param p : model.params().all()) {
      for (int i = 0; i < p.size(); i++) {
        p.value()[i] = rng.nextDouble() - 0.5;
      }
    }
    for (EmbeddingTable t : model.tables()) {
      t.ensureRow(4);
      for (int r = 1; r < t.rows(); r++) {
        for (int j = 0; j < t.dim(); j++) {
          t.setValue(r, j, rng.nextDouble() - 0.5);
        }
      }
    }
  }
}
