package ai.hiformer.learner.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.EncodedDataset;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.optim.OptimizerConfig;
import java.io.IOException;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DelayedFeedbackTest {
  private static final FeatureSpec SPEC =
      FeatureSpec.parse(
          "{\"format\": \"jsonl\", \"tasks\": [{\"name\": \"click\"}], \"fields\": ["
              + "{\"name\": \"user\", \"kind\": \"categorical\"},"
              + "{\"name\": \"item\", \"kind\": \"categorical\"},"
              + "{\"name\": \"hour\", \"kind\": \"time\", \"column\": \"ts\"}]}");

  /**
   * A learnable stream: 40 users × 30 items, a click with probability σ(a_user + b_item − 1.5), one
   * event a minute.
   */
  private static EncodedDataset stream(int n) throws IOException {
    SplittableRandom r = new SplittableRandom(3);
    double[] a = r.doubles(40, -1.5, 1.5).toArray();
    double[] b = r.doubles(30, -1.5, 1.5).toArray();
    return EncodedDataset.read(
        SPEC,
        sink -> {
          for (int i = 0; i < n; i++) {
            int u = r.nextInt(40);
            int it = r.nextInt(30);
            double p = 1 / (1 + Math.exp(-(a[u] + b[it] - 1.5)));
            Map<String, String> row =
                Map.of(
                    "user",
                    "u" + u,
                    "item",
                    "i" + it,
                    "ts",
                    Long.toString(1_700_000_000L + 60L * i),
                    "click",
                    r.nextDouble() < p ? "1" : "0");
            int index = i;
            sink.offer(
                new Row() {
                  @Override
                  public String text(String column) {
                    return row.get(column);
                  }

                  @Override
                  public String origin() {
                    return "row " + index;
                  }
                });
          }
        });
  }

  private static final long HOUR = 3_600_000L;

  private static DelayedFeedback.Run run(
      EncodedDataset d, DelayedFeedback.Mode mode, DelayedFeedback.Settings s, long seed) {
    ModelConfig config = ModelConfig.builder(ModelKind.LR).seed(seed).build();
    // A dense learning rate that lets the output bias reach the base rate within the short stream.
    return new DelayedFeedback(d, OptimizerConfig.defaults().withDenseLr(0.02), 64)
        .run(config, mode, s);
  }

  @Test
  void everyModeOfASeedSeesTheSameDelays() {
    for (int i = 0; i < 100; i++) {
      assertThat(DelayedFeedback.delayMillis(5, i, 1000))
          .isEqualTo(DelayedFeedback.delayMillis(5, i, 1000));
    }
    assertThat(DelayedFeedback.delayMillis(5, 7, 1000))
        .isNotEqualTo(DelayedFeedback.delayMillis(6, 7, 1000));
    double sum = 0;
    for (int i = 0; i < 20_000; i++) {
      sum += DelayedFeedback.delayMillis(1, i, 1000);
    }
    assertThat(sum / 20_000).isCloseTo(1000, within(30.0)); // exponential, mean 1000
  }

  @Test
  void eventTimesComeFromTheSpecsTimeField() throws IOException {
    EncodedDataset d = stream(3);
    assertThat(d.hasEventTimes()).isTrue();
    assertThat(d.eventTimeMillis(2) - d.eventTimeMillis(0)).isEqualTo(120_000);
  }

  @Test
  void aWindowLongerThanEveryDelayLearnsWhatTheOracleLearnsOnlyLater() throws IOException {
    EncodedDataset d = stream(4000);
    var s = new DelayedFeedback.Settings(1, 10 * HOUR, 300 * HOUR, 1);
    DelayedFeedback.Run window = run(d, DelayedFeedback.Mode.WINDOW, s, 1);
    DelayedFeedback.Run oracle = run(d, DelayedFeedback.Mode.ORACLE, s, 1);
    assertThat(window.lateShare()).isZero();
    assertThat(window.trainingEvents()).isEqualTo(oracle.trainingEvents()).isEqualTo(4000);
    // The same labels, learned 600 events later: a model that lags is no better.
    assertThat(window.all().logLoss()).isGreaterThan(oracle.all().logLoss());
  }

  @Test
  void lostLatePositivesMakeTheWindowUnderPredictAndFakeNegativesRecoverIt() throws IOException {
    EncodedDataset d = stream(20_000);
    // Delays with a mean of the window: about 37 % of the positives arrive after it.
    var s = new DelayedFeedback.Settings(HOUR, HOUR, 30 * HOUR, 1);
    DelayedFeedback.Run window = run(d, DelayedFeedback.Mode.WINDOW, s, 2);
    DelayedFeedback.Run fnw = run(d, DelayedFeedback.Mode.FNW, s, 2);
    DelayedFeedback.Run fnc = run(d, DelayedFeedback.Mode.FNC, s, 2);
    DelayedFeedback.Run waited = run(d, DelayedFeedback.Mode.WINDOW_FNW, s, 2);
    assertThat(window.lateShare()).isBetween(0.30, 0.44);
    assertThat(window.last20().calibration()).isLessThan(0.85);
    assertThat(Math.abs(fnw.last20().calibration() - 1))
        .isLessThan(Math.abs(window.last20().calibration() - 1));
    assertThat(Math.abs(fnc.last20().calibration() - 1))
        .isLessThan(Math.abs(window.last20().calibration() - 1));
    assertThat(Math.abs(waited.last20().calibration() - 1))
        .isLessThan(Math.abs(window.last20().calibration() - 1));
    assertThat(fnw.all().logLoss()).isLessThan(window.all().logLoss());
    assertThat(waited.all().logLoss()).isLessThan(window.all().logLoss());
    // Only the positives after the window come twice.
    assertThat(waited.trainingEvents()).isLessThan(fnw.trainingEvents()).isGreaterThan(20_000);
    // Each impression is learned once as a negative, and again for each positive that arrives.
    assertThat(fnw.trainingEvents()).isGreaterThan(20_000);
  }

  @Test
  void sampledNegativesAreCorrectedToTheTrueBaseRate() throws IOException {
    EncodedDataset d = stream(20_000);
    DelayedFeedback.Run all =
        run(d, DelayedFeedback.Mode.ORACLE, new DelayedFeedback.Settings(1, HOUR, HOUR, 1), 3);
    DelayedFeedback.Run half =
        run(d, DelayedFeedback.Mode.ORACLE, new DelayedFeedback.Settings(1, HOUR, HOUR, 0.5), 3);
    assertThat(half.trainingEvents()).isLessThan(all.trainingEvents());
    assertThat(half.last20().calibration()).isBetween(0.85, 1.15);
    assertThat(half.all().auc()).isCloseTo(all.all().auc(), within(0.02));
  }

  @Test
  void theRowSamplingControlDropsImpressionsWhateverTheirLabel() throws IOException {
    EncodedDataset d = stream(20_000);
    DelayedFeedback.Run all =
        run(d, DelayedFeedback.Mode.ORACLE, new DelayedFeedback.Settings(1, HOUR, HOUR, 1), 3);
    DelayedFeedback.Run rows =
        run(
            d,
            DelayedFeedback.Mode.ORACLE,
            new DelayedFeedback.Settings(1, HOUR, HOUR, 1, 0.25),
            3);
    // A quarter of 20,000 impressions, within five binomial standard deviations (5 × 61).
    assertThat(rows.trainingEvents()).isBetween(5_000L - 306, 5_000L + 306);
    assertThat(rows.rowKeep()).isEqualTo(0.25);
    // No correction and none needed: positives go with their impressions, the base rate stays.
    assertThat(rows.last20().calibration()).isBetween(0.85, 1.15);
    assertThat(rows.all().auc()).isLessThan(all.all().auc());
  }

  @Test
  void badSettingsNameTheirKey() {
    assertThatThrownBy(() -> new DelayedFeedback.Settings(1, 10, 5, 1))
        .hasMessageContaining("attribution-window");
    assertThatThrownBy(() -> new DelayedFeedback.Settings(1, 10, 50, 0))
        .hasMessageContaining("negative-sampling")
        .hasMessageContaining("(0, 1]");
    assertThatThrownBy(() -> new DelayedFeedback.Settings(1, 10, 50, 1, 1.5))
        .hasMessageContaining("row-sampling");
  }
}
