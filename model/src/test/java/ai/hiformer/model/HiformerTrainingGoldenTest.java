package ai.hiformer.model;

import static ai.hiformer.model.GoldenFile.assertClose;
import static ai.hiformer.model.GoldenFile.flat;
import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.GoldenFile.Rows;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Conformance of online training with torch: {@code hiformer_train_small.golden.json} was written
 * by {@code tools/torch-reference/make_training_golden.py} (torch.optim.Adam on the dense weights,
 * torch.optim.Adagrad on the sparse shared table, docs/PROTOCOL.md §3.1) from a synthetic stream
 * whose ids repeat within and across batches and whose multi-valued field is sometimes empty.
 * Starting from the same weights, our {@link Learner} must predict the same logits before every
 * step and end with the same weights, embedding rows, Adam moments and Adagrad accumulators, to
 * 1e-9 relative (float64).
 */
class HiformerTrainingGoldenTest {
  private static final double REL_TOL = 1e-9;

  private static GoldenFile golden;
  private static Learner learner;
  private static double[][] predicted;

  @BeforeAll
  static void train() throws IOException {
    golden = new GoldenFile("/golden/hiformer_train_small.golden.json");
    CtrModel model = golden.newModel();
    golden.setWeights(model, golden.root.get("initial"));
    learner = new Learner(model, OptimizerConfig.defaults());
    int batchSize = golden.root.get("config").get("batch").asInt();
    int steps = golden.root.get("config").get("steps").asInt();
    predicted = new double[steps][batchSize];
    for (int s = 0; s < steps; s++) {
      assertThat(learner.predictThenTrain(golden.batch(s * batchSize, batchSize), predicted[s]))
          .isTrue();
    }
  }

  @Test
  void everyStepPredictsTheReferenceLogitsBeforeTraining() {
    JsonNode logits = golden.root.get("logits");
    for (int s = 0; s < predicted.length; s++) {
      double[] expected = flat(logits.get(s));
      double[] expectedProbs = new double[expected.length];
      for (int i = 0; i < expected.length; i++) {
        expectedProbs[i] = 1 / (1 + Math.exp(-expected[i]));
      }
      assertClose("probabilities of step " + s, predicted[s], expectedProbs, REL_TOL);
    }
  }

  @Test
  void weightsAfterTrainingMatchTheReference() {
    JsonNode fin = golden.root.get("final");
    JsonNode initial = golden.root.get("initial");
    CtrModel model = learner.model();
    for (Param p : model.params().all()) {
      String ref = GoldenFile.referenceName(p.name());
      double[] expected = flat(fin.get(ref));
      assertThat(expected).as("%s moved in training", ref).isNotEqualTo(flat(initial.get(ref)));
      assertClose(p.name(), GoldenFile.inReferenceLayout(p, p.value()), expected, REL_TOL);
    }
    double[] rows = flat(fin.get("tok.emb.weight"));
    assertClose(
        "tok.emb.weight", golden.sharedTable(model, Rows.VALUES, rows.length), rows, REL_TOL);
  }

  @Test
  void optimiserStateMatchesTheReference() {
    CtrModel model = learner.model();
    List<Param> params = model.params().all();
    JsonNode adam = golden.root.get("adam");
    for (int i = 0; i < params.size(); i++) {
      Param p = params.get(i);
      JsonNode ref = adam.get(GoldenFile.referenceName(p.name()));
      double[][] mv = learner.adam().moments(i);
      assertClose(
          p.name() + " exp_avg",
          GoldenFile.inReferenceLayout(p, mv[0]),
          flat(ref.get("exp_avg")),
          REL_TOL);
      assertClose(
          p.name() + " exp_avg_sq",
          GoldenFile.inReferenceLayout(p, mv[1]),
          flat(ref.get("exp_avg_sq")),
          REL_TOL);
    }
    assertThat(learner.adam().step()).isEqualTo(predicted.length);
    double[] sum = flat(golden.root.get("adagrad_sum"));
    assertClose(
        "adagrad sum", golden.sharedTable(model, Rows.ACCUMULATORS, sum.length), sum, REL_TOL);
  }
}
