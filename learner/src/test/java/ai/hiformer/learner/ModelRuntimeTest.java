package ai.hiformer.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.optim.OptimizerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The online learner on its own, without Flink: the order of work per event, the snapshot policy,
 * and a state that restores to the same model bytes and carries on as if never interrupted.
 */
class ModelRuntimeTest {
  private static final FeatureSpec SPEC =
      FeatureSpec.parse(
          """
      {"name": "t", "format": "jsonl", "tasks": [{"name": "click"}, {"name": "buy"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""");
  private static final int MICRO_BATCH = 16;

  private record Example(Row row, Map<String, Double> labels, long time) {}

  private static List<Example> stream(int n, long seed) throws Exception {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int user = rng.nextInt(30);
      int item = rng.nextInt(20);
      Row row = TestRows.userItemPrice(user, item, rng.nextInt(100), "e" + i);
      double click = (user + item) % 3 == 0 ? 1 : 0;
      // Every fourth event is unlabelled (its labels come later, or never); "buy" is labelled on
      // half.
      Map<String, Double> labels =
          i % 4 == 3
              ? Map.of()
              : i % 2 == 0 ? Map.of("click", click, "buy", 1 - click) : Map.of("click", click);
      out.add(new Example(row, labels, 1_700_000_000_000L + 1000L * i));
    }
    return out;
  }

  private static ModelRuntime newRuntime() {
    return newRuntime(ModelKind.HIFORMER.cliName());
  }

  private static ModelRuntime newRuntime(String kind) {
    ModelRuntime r =
        new ModelRuntime(
            SPEC,
            ModelConfig.builder(kind).d(8).seed(3).build(),
            OptimizerConfig.defaults(),
            MICRO_BATCH);
    r.snapshotPolicy(40, 0);
    return r;
  }

  @Test
  void labelledEventsTrainInMicroBatchesAndScoresComeFromTheWeightsBefore() throws Exception {
    ModelRuntime r = newRuntime();
    List<Example> events = stream(100, 1);
    long labelled = 0;
    long rescored = 0;
    for (Example e : events) {
      long versionBefore = r.version();
      double[] scores = r.scoreAndLearn(e.row(), e.labels(), e.time()).clone();
      assertThat(scores).hasSize(2);
      assertThat(scores[0]).isBetween(0.0, 1.0);
      assertThat(scores[1]).isBetween(0.0, 1.0);
      labelled += e.labels().isEmpty() ? 0 : 1;
      assertThat(r.version())
          .as("steps after %d labelled events", labelled)
          .isEqualTo(labelled / MICRO_BATCH);
      assertThat(r.pendingExamples()).isEqualTo((int) (labelled % MICRO_BATCH));
      if (r.version() == versionBefore) {
        // Scored again unlabelled, with no step in between: the same numbers (no hidden state
        // moved).
        assertThat(r.scoreAndLearn(e.row(), Map.of(), e.time())).containsExactly(scores);
        rescored++;
      }
    }
    assertThat(r.scored()).isEqualTo(100 + rescored);
    assertThat(r.trainedExamples()).isEqualTo(labelled / MICRO_BATCH * MICRO_BATCH);
    // Progressive metrics count each task only where it was labelled.
    assertThat(r.metrics().task(0).count()).isEqualTo(r.trainedExamples());
    assertThat(r.metrics().task(1).count()).isLessThan(r.metrics().task(0).count()).isPositive();
  }

  @Test
  void snapshotsAreCapturedEveryFortyExamplesRightAfterTheStepThatMakesThemDue() throws Exception {
    ModelRuntime r = newRuntime();
    for (Example e : stream(200, 2)) {
      r.scoreAndLearn(e.row(), e.labels(), e.time());
    }
    List<CapturedSnapshot> captured = r.drainCaptured();
    // 150 labelled events: steps at 16, 32, ..., 144; a snapshot at the first step with ≥ 40 new
    // examples.
    assertThat(captured)
        .extracting(CapturedSnapshot::trainedExamples)
        .containsExactly(48L, 96L, 144L);
    assertThat(captured).extracting(CapturedSnapshot::version).containsExactly(3L, 6L, 9L);
    assertThat(r.drainCaptured()).as("handed over once").isEmpty();
    r.captureFinal();
    assertThat(r.drainCaptured()).as("nothing learned since the last snapshot").isEmpty();
    assertThat(captured.get(2).metrics()).containsKeys("click.progressive_auc", "buy.examples");
    assertThat(captured.get(2).metrics().get("click.examples")).isEqualTo(144.0);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer", "hiformer+dcnv2+lr"})
  void aRestoredStateHasTheSameBytesAndCarriesOnAsIfNeverInterrupted(String kind) throws Exception {
    List<Example> events = stream(300, 3);
    ModelRuntime uninterrupted = newRuntime(kind);
    ModelRuntime first = newRuntime(kind);
    List<double[]> expected = new ArrayList<>();
    for (Example e : events) {
      expected.add(uninterrupted.scoreAndLearn(e.row(), e.labels(), e.time()).clone());
    }
    for (int i = 0; i < 137; i++) { // mid micro-batch: pending rows are part of the state
      Example e = events.get(i);
      assertThat(first.scoreAndLearn(e.row(), e.labels(), e.time()))
          .containsExactly(expected.get(i));
    }
    assertThat(first.pendingExamples()).isPositive();
    byte[] state = first.toBytes();
    ModelRuntime restored =
        ModelRuntime.fromBytes(state, SPEC, OptimizerConfig.defaults(), MICRO_BATCH);
    restored.snapshotPolicy(40, 0);
    assertThat(restored.toBytes()).as("state after a round trip").isEqualTo(state);
    for (int i = 137; i < events.size(); i++) {
      Example e = events.get(i);
      assertThat(restored.scoreAndLearn(e.row(), e.labels(), e.time()))
          .as("score of event %d", i)
          .containsExactly(expected.get(i));
    }
    assertThat(restored.learnerBytes()).isEqualTo(uninterrupted.learnerBytes());
    assertThat(restored.encoderBytes()).isEqualTo(uninterrupted.encoderBytes());
    assertThat(restored.metrics().task(0).auc())
        .isCloseTo(uninterrupted.metrics().task(0).auc(), within(0.0));
    assertThat(restored.metrics().summary()).isEqualTo(uninterrupted.metrics().summary());
    if (kind.contains("+")) { // a blend reports each member's own metrics beside its own
      assertThat(restored.metrics().memberNames()).containsExactly("hiformer", "dcnv2", "lr");
      assertThat(restored.metrics().summary())
          .containsKeys(
              "click.progressive_auc",
              "click.hiformer.progressive_auc",
              "buy.lr.progressive_logloss");
      assertThat(restored.metrics().member(1, 0).count())
          .isEqualTo(restored.metrics().task(0).count());
    }
  }

  @Test
  void aStateIsRefusedForASpecWhoseFieldsChanged() {
    byte[] state = newRuntime().toBytes();
    FeatureSpec changed =
        FeatureSpec.parse(
            """
        {"name": "t", "format": "jsonl", "tasks": [{"name": "click"}, {"name": "buy"}],
         "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "multi"},
                    {"name": "price", "kind": "numeric", "transform": "log1p"}]}""");
    assertThatThrownBy(
            () -> ModelRuntime.fromBytes(state, changed, OptimizerConfig.defaults(), MICRO_BATCH))
        .hasMessageContaining("a changed spec needs a new model id");
  }

  @Test
  void aStateOfAnotherFormatVersionIsRefusedNamingIt() {
    byte[] state = newRuntime().toBytes();
    state[3] = 9; // the leading int: format version
    assertThatThrownBy(
            () -> ModelRuntime.fromBytes(state, SPEC, OptimizerConfig.defaults(), MICRO_BATCH))
        .hasMessageContaining(
            "model runtime state: format v9 is not supported by this version (it reads v1)");
  }
}
