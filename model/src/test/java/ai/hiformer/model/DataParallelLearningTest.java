package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.model.math.Precision;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A step split over K threads ({@code learn.threads}) equals the step on one thread up to the order
 * of floating-point additions: same predictions, same weights, same optimiser state.
 */
class DataParallelLearningTest {
  // Categorical, multi-valued (mean of rows, so a row may be touched by several shards) and
  // numeric.
  private static final InputLayout LAYOUT = new InputLayout(3, 2, 3, 2);

  /**
   * Exact arithmetic still differs in the order of additions; a row gradient that cancels to 0 in
   * one order and to 1e-18 in the other is then normalised by Adagrad (ε = 1e-10) into a step of
   * about lr · 1e-18 / 1e-9 = 5e-11, hence a tolerance of 1e-9 rather than 1e-15.
   */
  private static final double EXACT = 1e-9;

  @ParameterizedTest(name = "{0}, {1} threads, {2} tasks")
  @CsvSource({
    "hiformer, 2, 1",
    "hiformer, 3, 2",
    "heteroatt, 2, 1",
    "autoint, 2, 1",
    "dcnv2, 2, 2",
    "lr, 2, 1",
    "lr, 3, 1"
  })
  void severalStepsOnKThreadsEqualOneThreadInExactArithmetic(String kind, int threads, int tasks) {
    ModelConfig config =
        ModelConfig.builder(ModelKind.parse(kind))
            .tasks(tasks)
            .seed(11)
            .precision(Precision.DOUBLE)
            .build();
    // 37 rows: shards of unequal size; few ids, so shards share rows
    Run many = stepsAgree(config, threads, 6, 37, 12, 40, EXACT);
    assertThat(many.learner.steps()).isEqualTo(6);
    many.learner.close();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"hiformer", "dcnv2"})
  void aFirstStepThatCentresTheLogitsOnKThreadsEqualsOneThread(String kind) {
    // The online profile's start: the first step shifts the output bias to centre the batch's
    // logits, forwarding it twice.
    ModelConfig config =
        ModelConfig.builder(ModelKind.parse(kind))
            .seed(12)
            .centreFirstLogits(true)
            .precision(Precision.DOUBLE)
            .build();
    stepsAgree(config, 2, 3, 37, 12, 60, EXACT).learner.close();
  }

  /**
   * {@code steps} steps on seeded random batches of {@code rows} rows over {@code vocab} ids, on
   * one thread and on {@code threads}: every prediction and then the whole state agree to {@code
   * tolerance}. Returns the run on {@code threads}.
   */
  private static Run stepsAgree(
      ModelConfig config,
      int threads,
      int steps,
      int rows,
      int vocab,
      long seed,
      double tolerance) {
    Run one = new Run(config, 1);
    Run many = new Run(config, threads);
    for (int step = 0; step < steps; step++) {
      Batch batch = TestBatches.random(LAYOUT, rows, config.tasks(), vocab, seed + step);
      double[] p1 = one.step(batch);
      double[] pk = many.step(batch);
      for (int i = 0; i < p1.length; i++) {
        assertThat(pk[i]).as("step %d prediction %d", step, i).isCloseTo(p1[i], within(tolerance));
      }
    }
    assertSameState(one.learner.model(), many.learner.model(), tolerance);
    return many;
  }

  @Test
  void aStepOnTwoThreadsEqualsOneThreadToFloatRoundingInFloatProducts() {
    ModelConfig config =
        ModelConfig.builder(ModelKind.parse("hiformer")).seed(5).precision(Precision.FLOAT).build();
    // Adam normalises each gradient, so float-rounded gradients still move a weight by ≈ lr
    stepsAgree(config, 2, 3, 64, 40, 90, 1e-5).learner.close();
  }

  @Test
  void aBatchSmallerThanTheThreadsLeavesShardsEmpty() {
    ModelConfig config =
        ModelConfig.builder(ModelKind.parse("dcnv2")).seed(2).precision(Precision.DOUBLE).build();
    stepsAgree(config, 4, 3, 2, 5, 7, EXACT).learner.close();
  }

  @Test
  void aBlendRefusesThreadsNamingTheKey() {
    Learner learner =
        new Learner(
            Models.create(ModelConfig.builder("hiformer+lr").build(), LAYOUT),
            OptimizerConfig.defaults());
    assertThatThrownBy(() -> learner.threads(2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("learn.threads")
        .hasMessageContaining("allowed: 1");
    assertThat(learner.threads()).isEqualTo(1);
  }

  @Test
  void aSteadyStateStepOnTwoThreadsAllocatesNothingOnTheCallingThread() {
    Learner learner =
        new Learner(
            Models.create(ModelConfig.builder(ModelKind.parse("hiformer")).build(), LAYOUT),
            OptimizerConfig.defaults());
    learner.threads(2);
    long perStep = TestBatches.bytesPerSteadyStep(learner, LAYOUT);
    learner.close();
    assertThat(perStep).as("bytes allocated per training step").isLessThan(64);
  }

  private static void assertSameState(CtrModel a, CtrModel b, double tolerance) {
    for (int p = 0; p < a.params().all().size(); p++) {
      Param pa = a.params().all().get(p);
      Param pb = b.params().all().get(p);
      assertThat(pb.value()).as(pa.name()).containsExactly(pa.value(), within(tolerance));
    }
    for (int t = 0; t < a.tables().size(); t++) {
      EmbeddingTable ta = a.tables().get(t);
      EmbeddingTable tb = b.tables().get(t);
      assertThat(tb.rows()).isEqualTo(ta.rows());
      assertThat(TableRows.values(tb))
          .as(ta.name() + " values")
          .containsExactly(TableRows.values(ta), within(tolerance));
      assertThat(TableRows.accumulators(tb))
          .as(ta.name() + " Adagrad accumulators")
          .containsExactly(TableRows.accumulators(ta), within(tolerance));
    }
  }

  /** A learner on K threads and the probabilities of its last step. */
  private static final class Run {
    final Learner learner;

    Run(ModelConfig config, int threads) {
      learner = new Learner(Models.create(config, LAYOUT), OptimizerConfig.defaults());
      learner.threads(threads);
    }

    double[] step(Batch batch) {
      double[] probs = new double[batch.size() * batch.tasks];
      assertThat(learner.predictThenTrain(batch, probs)).isTrue();
      return probs;
    }
  }
}
