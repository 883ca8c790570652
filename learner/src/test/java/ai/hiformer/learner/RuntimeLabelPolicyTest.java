package ai.hiformer.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.LabelPolicy;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The runtime's label policy: negatives sampled by request id (the same ones on every replay, every
 * positive kept) and the late share of fake-negative weights counted and kept in the state.
 */
class RuntimeLabelPolicyTest {
  private static final FeatureSpec SPEC =
      FeatureSpec.parse(
          """
      {"name": "t", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}]}""");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MICRO_BATCH = 16;

  private static ModelRuntime runtime() {
    return new ModelRuntime(
        SPEC, ModelConfig.builder("lr").seed(1).build(), OptimizerConfig.defaults(), MICRO_BATCH);
  }

  private static Row row(int i) throws Exception {
    return JsonLinesReader.of(JSON.readTree("{\"user\": \"u" + (i % 7) + "\"}"), "r" + i);
  }

  /** Examples learned so far: those trained on and those waiting in the micro-batch. */
  private static long learned(ModelRuntime r) {
    return r.trainedExamples() + r.pendingExamples();
  }

  @Test
  void negativeSamplingKeepsEveryPositiveAndTheSameNegativesOnEveryReplay() throws Exception {
    int n = 4000;
    long[] runs = new long[2];
    for (int run = 0; run < 2; run++) {
      ModelRuntime r = runtime();
      r.labelPolicy(0.25, false);
      for (int i = 0; i < n; i++) {
        r.learnOnly(row(i), Map.of("click", i % 5 == 0 ? 1.0 : 0.0), i, "req-" + i, Arrival.JOINED);
      }
      runs[run] = learned(r);
    }
    long expected = 0;
    long negatives = 0;
    for (int i = 0; i < n; i++) {
      boolean positive = i % 5 == 0;
      negatives += positive ? 0 : 1;
      expected += positive || NegativeSampling.keeps("req-" + i, 0, 0.25) ? 1 : 0;
    }
    assertThat(runs[0]).isEqualTo(expected).isEqualTo(runs[1]);
    double keptShare = (expected - n / 5.0) / negatives;
    assertThat(keptShare).isCloseTo(0.25, within(0.03)); // 3,200 negatives: σ ≈ 0.008
  }

  @Test
  void labelsThatCameWithTheirEventAreNeverWeighedForAWait() throws Exception {
    ModelRuntime r = runtime();
    r.labelPolicy(1, true);
    for (int i = 0; i < MICRO_BATCH; i++) {
      r.learnOnly(row(i), Map.of("click", 1.0), i, "req-" + i, Arrival.INLINE);
    }
    assertThat(r.learner().labelPolicy().delayedLoss()).isEqualTo(LabelPolicy.DelayedLoss.NONE);
    for (int i = 0; i < MICRO_BATCH; i++) {
      r.learnOnly(row(i), Map.of("click", 1.0), i, "req-" + i, Arrival.JOINED);
    }
    assertThat(r.learner().labelPolicy().delayedLoss()).isEqualTo(LabelPolicy.DelayedLoss.FNW);
  }

  @Test
  void withoutARequestIdEveryNegativeIsLearned() throws Exception {
    ModelRuntime r = runtime();
    r.labelPolicy(0.1, false);
    for (int i = 0; i < 100; i++) {
      r.learnOnly(row(i), Map.of("click", 0.0), i);
    }
    assertThat(learned(r)).isEqualTo(100);
  }

  @Test
  void theLateShareCountsLatePositivesAndSurvivesARestore() throws Exception {
    ModelRuntime r = runtime();
    r.labelPolicy(1, true);
    assertThat(r.lateShare()).isEqualTo(0.5); // nothing seen: the Laplace estimate
    for (int i = 0; i < 40; i++) {
      boolean late = i % 4 == 0;
      r.learnOnly(
          row(i),
          Map.of("click", 1.0),
          i,
          "req-" + i,
          late ? Arrival.LATE_POSITIVE : Arrival.JOINED);
    }
    assertThat(r.lateShare()).isCloseTo((10 + 1.0) / (40 + 2.0), within(1e-12));
    assertThat(r.learner().labelPolicy().delayedLoss()).isEqualTo(LabelPolicy.DelayedLoss.FNW);
    // The weights of the last step (after 32 examples, 8 of them late) used the share then.
    assertThat(r.learner().labelPolicy().lateShare()).isCloseTo(9 / 34.0, within(1e-12));

    ModelRuntime restored =
        ModelRuntime.fromBytes(r.toBytes(), SPEC, OptimizerConfig.defaults(), MICRO_BATCH);
    assertThat(restored.lateShare()).isEqualTo(r.lateShare());
    assertThat(restored.toBytes()).isEqualTo(r.toBytes());
  }
}
