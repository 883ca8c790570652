package ai.hiformer.local.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.EncodedDataset;
import ai.hiformer.features.SharedData;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.Metrics;
import ai.hiformer.learner.eval.Evaluator;
import ai.hiformer.learner.eval.RunResult;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.ModelProfile;
import ai.hiformer.model.optim.OptimizerConfig;
import org.junit.jupiter.api.Test;

/**
 * The generated stream has the structure its Javadoc states, and a model that crosses features
 * learns it.
 */
class SyntheticStreamTest {
  private static final int EVENTS = 50_000;

  @Test
  void itsClicksFollowMainEffectsAndAnInteractionOfTheStatedStrength() {
    SyntheticStream stream = new SyntheticStream(7);
    double[] y = new double[EVENTS];
    double[] full = new double[EVENTS];
    double[] main = new double[EVENTS];
    double[] affinity = new double[EVENTS];
    double[][] clicksBySegment = new double[SyntheticStream.SEGMENTS][2];
    double[][] clicksByCategory = new double[SyntheticStream.CATEGORIES][2];
    for (int i = 0; i < EVENTS; i++) {
      SyntheticStream.Event e = stream.next();
      y[i] = e.click() ? 1 : 0;
      full[i] = e.logit();
      main[i] = e.mainEffects();
      affinity[i] = e.affinity();
      int segment = Integer.parseInt(e.text("segment").substring(1));
      int category = Integer.parseInt(e.text("category").substring(1));
      clicksBySegment[segment][0] += y[i];
      clicksBySegment[segment][1]++;
      clicksByCategory[category][0] += y[i];
      clicksByCategory[category][1]++;
    }
    assertThat(Metrics.auc(full, y, 0, EVENTS))
        .as("what the true log-odds rank")
        .isBetween(0.83, 0.87);
    assertThat(Metrics.auc(main, y, 0, EVENTS)).as("main effects alone").isBetween(0.61, 0.67);
    assertThat(Metrics.auc(affinity, y, 0, EVENTS))
        .as("the interaction alone")
        .isBetween(0.74, 0.80);
    // The interaction has no main effect: segment alone hardly moves the click rate, and category
    // only through
    // the biases of its ~42 items (a main effect, std about 0.6/√42 in log-odds).
    assertThat(spread(clicksBySegment)).as("click rate spread over segments").isLessThan(0.02);
    assertThat(spread(clicksByCategory)).as("click rate spread over categories").isLessThan(0.08);
  }

  @Test
  void hiformerLearnsTheInteractionThatLogisticRegressionCannot() throws Exception {
    FeatureSpec spec = FeatureSpec.load(SharedData.repoFile("specs/synthetic.json"));
    EncodedDataset data =
        EncodedDataset.read(
            spec,
            sink -> {
              SyntheticStream stream = new SyntheticStream(7);
              for (int i = 0; i < EVENTS; i++) {
                sink.offer(stream.next());
              }
            });
    Evaluator evaluator = new Evaluator(data, OptimizerConfig.defaults(), 256, 10, s -> {});
    RunResult hiformer =
        evaluator.online(
            ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).seed(0).build());
    RunResult lr = evaluator.online(ModelConfig.builder(ModelKind.LR, ModelProfile.ONLINE).build());
    assertThat(hiformer.auc()).as("Hiformer's progressive AUC over the run").isGreaterThan(0.70);
    assertThat(lr.auc()).as("logistic regression's").isLessThan(0.62);
  }

  private static double spread(double[][] counts) {
    double lo = 1;
    double hi = 0;
    for (double[] c : counts) {
      double rate = c[0] / c[1];
      lo = Math.min(lo, rate);
      hi = Math.max(hi, rate);
    }
    return hi - lo;
  }
}
