package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.hiformer.model.math.Precision;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The float path of the large products (sgemm, and Hiformer's float chain through the composite
 * projections) computes the same logits and gradients as the exact double path, to float precision.
 * The golden and gradient-check tests pin the double path; this pins the path training runs by
 * default.
 */
class FloatProductsTest {
  // The protocol's MovieLens shape: T = 12 tokens (9 cat, 1 multi, 1 num, the task), d = 16, ranks
  // 64/64/128; at batch 64 every projection product is large enough to go native.
  private static final InputLayout LAYOUT = new InputLayout(9, 1, 4, 1);

  /** A float-precision model (whatever this module's default) of the MovieLens shape. */
  private static ModelConfig movieLensShape(long seed) {
    return movieLensShape(ModelKind.HIFORMER, seed);
  }

  private static ModelConfig movieLensShape(ModelKind kind, long seed) {
    assumeTrue(
        Precision.FLOAT.floatProducts(),
        "OpenBLAS is not loaded here; the float path does not exist");
    return ModelConfig.builder(kind)
        .d(16)
        .heads(2)
        .keyDim(8)
        .valueDim(8)
        .rankQ(64)
        .rankK(64)
        .rankV(128)
        .embeddingInitStd(0.3)
        .seed(seed)
        .precision(Precision.FLOAT)
        .build();
  }

  @Test
  void hiformerLogitsAndGradientsAgreeWithTheDoublePath() {
    ModelConfig config = movieLensShape(5);
    InputLayout layout = LAYOUT;
    Batch batch = TestBatches.random(layout, 64, 1, 30, 9);

    Result exact = run(config, layout, batch, false);
    Result fast = run(config, layout, batch, true);

    assertClose("logits", fast.logits, exact.logits);
    for (int i = 0; i < exact.grads.size(); i++) {
      assertClose(exact.names.get(i), fast.grads.get(i), exact.grads.get(i));
    }
  }

  @Test
  void singleExampleScoringWithFloatWeightsFollowsTraining() {
    ModelConfig config = movieLensShape(6);
    InputLayout layout = LAYOUT;
    CtrModel model = Models.create(config, layout);
    Learner learner = new Learner(model, OptimizerConfig.defaults().withDenseLr(0.05));
    Batch one = TestBatches.random(layout, 1, 1, 30, 11);
    Batch train = TestBatches.random(layout, 64, 1, 30, 12);

    double before = scoreOne(learner, one, true);
    assertThat(before)
        .isCloseTo(scoreOne(learner, one, false), org.assertj.core.data.Offset.offset(1e-5));
    // A training step changes the weights; the float copies must follow (they were built by the
    // score above).
    assertThat(learner.predictThenTrain(train, new double[64])).isTrue();
    double after = scoreOne(learner, one, true);
    double exact = scoreOne(learner, one, false);
    assertThat(Math.abs(after - before)).as("training moved the score").isGreaterThan(1e-3);
    assertThat(after).isCloseTo(exact, org.assertj.core.data.Offset.offset(1e-5));
  }

  @Test
  void batchScoringAfterTrainingUsesTheNewWeights() {
    ModelConfig config = movieLensShape(7);
    Learner learner =
        new Learner(Models.create(config, LAYOUT), OptimizerConfig.defaults().withDenseLr(0.05));
    Batch batch = TestBatches.random(LAYOUT, 64, 1, 30, 13);
    double[] before = new double[64];
    double[] after = new double[64];
    double[] exact = new double[64];
    learner.predict(batch, before); // packs the float weights of the chain
    assertThat(learner.predictThenTrain(TestBatches.random(LAYOUT, 64, 1, 30, 14), new double[64]))
        .isTrue();
    learner.predict(batch, after);
    exact(learner.model(), batch, exact);
    assertThat(Math.abs(after[0] - before[0])).as("training moved the scores").isGreaterThan(1e-3);
    for (int i = 0; i < 64; i++) {
      assertThat(after[i])
          .as("example %d", i)
          .isCloseTo(exact[i], org.assertj.core.data.Offset.offset(1e-5));
    }
  }

  /**
   * At batch sizes of scoring (1, 2 and 8 rows) and of training (64), every kind of model scores
   * with the weights of its last step, as exact products do.
   */
  @ParameterizedTest
  @EnumSource(
      value = ModelKind.class,
      names = {"HIFORMER", "DCNV2", "AUTOINT", "TRANSFORMER"})
  void denseLayersFollowTheWeightsAtScoringBatchSizes(ModelKind kind) {
    ModelConfig config = movieLensShape(kind, 8);
    Learner learner =
        new Learner(Models.create(config, LAYOUT), OptimizerConfig.defaults().withDenseLr(0.05));
    for (int rows : new int[] {1, 2, 8, 64}) {
      Batch batch = TestBatches.random(LAYOUT, rows, 1, 30, 15 + rows);
      double[] before = new double[rows];
      double[] after = new double[rows];
      double[] exact = new double[rows];
      learner.predict(batch, before);
      assertThat(
              learner.predictThenTrain(TestBatches.random(LAYOUT, 64, 1, 30, 16), new double[64]))
          .isTrue();
      learner.predict(batch, after);
      exact(learner.model(), batch, exact);
      double moved = 0;
      for (int i = 0; i < rows; i++) {
        moved = Math.max(moved, Math.abs(after[i] - before[i]));
        assertThat(after[i])
            .as("%s, %d rows, example %d", kind, rows, i)
            .isCloseTo(exact[i], org.assertj.core.data.Offset.offset(1e-5));
      }
      assertThat(moved).as("%s: training moved the scores", kind).isGreaterThan(1e-4);
    }
  }

  private static double scoreOne(Learner learner, Batch one, boolean floatProducts) {
    double[] p = new double[1];
    if (floatProducts) {
      learner.predict(one, p);
    } else {
      exact(learner.model(), one, p);
    }
    return p[0];
  }

  /**
   * Probabilities of the batch from the same weights with every product exact (a double-precision
   * replica).
   */
  private static void exact(CtrModel model, Batch batch, double[] probs) {
    model.readOnlyReplica(Precision.DOUBLE).forward(batch, probs);
    for (int i = 0; i < batch.size(); i++) {
      probs[i] = ai.hiformer.model.Loss.sigmoid(probs[i]);
    }
  }

  private record Result(double[] logits, List<String> names, List<double[]> grads) {}

  private static Result run(
      ModelConfig config, InputLayout layout, Batch batch, boolean floatProducts) {
    CtrModel model =
        Models.create(
            config.toBuilder()
                .precision(floatProducts ? Precision.FLOAT : Precision.DOUBLE)
                .build(),
            layout);
    double[] logits = TestBatches.gradients(model, batch);
    List<String> names = new ArrayList<>();
    List<double[]> grads = new ArrayList<>();
    for (Param p : model.params().all()) {
      names.add(p.name());
      grads.add(p.grad().clone());
    }
    for (EmbeddingTable t : model.tables()) {
      names.add(t.name());
      grads.add(TableRows.grads(t));
    }
    return new Result(logits, names, grads);
  }

  /**
   * Float rounding of inputs of length ≤ 256 sums: 1e-4 of the array's scale, and the arrays not
   * all zero.
   */
  private static void assertClose(String what, double[] actual, double[] expected) {
    double scale = 0;
    for (double e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    assertThat(scale).as("%s carries signal", what).isPositive();
    for (int i = 0; i < expected.length; i++) {
      assertThat(Math.abs(actual[i] - expected[i]))
          .as("%s[%d]: %s vs %s", what, i, actual[i], expected[i])
          .isLessThanOrEqualTo(1e-4 * scale);
    }
  }
}
