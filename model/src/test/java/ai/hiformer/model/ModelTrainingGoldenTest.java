package ai.hiformer.model;

import static ai.hiformer.model.GoldenFile.assertClose;
import static ai.hiformer.model.GoldenFile.flat;
import static ai.hiformer.model.GoldenFile.ints;
import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conformance with torch for model shapes beyond the protocol's default Hiformer, written by {@code
 * tools/torch-reference/make_model_goldens.py}: a Hiformer with two unpruned layers, the exact GELU
 * and two tasks whose labels are sometimes missing, and DCN-v2. The script spells each model out
 * from its equations with torch's autograd, independently of our code, under our parameter names
 * and layouts. From the same initial weights our {@link Learner} must predict the same
 * probabilities before each of the online steps and end with the same weights, Adam moments and
 * step, and the same embedding tables, every row of every field compared (row 0, the
 * out-of-vocabulary row, included: the inputs hold out-of-vocabulary ids and empty multi-valued
 * sets), with the same Adagrad accumulators: all to 1e-9 relative (float64).
 */
class ModelTrainingGoldenTest {
  private static final double REL_TOL = 1e-9;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer_2layer_gelu_2task", "dcnv2_small"})
  void onlineTrainingReproducesTheTorchTrajectory(String name) throws IOException {
    JsonNode root;
    try (InputStream in = getClass().getResourceAsStream("/golden/" + name + ".golden.json")) {
      assertThat(in).as(name).isNotNull();
      root = new ObjectMapper().readTree(in);
    }
    // Exact double math, double embedding rows: the trajectory is compared at 1e-9.
    ModelConfig config =
        ModelConfig.fromProperties(root.get("model_config").asText()).toBuilder()
            .precision(ai.hiformer.model.math.Precision.DOUBLE)
            .build();
    JsonNode l = root.get("layout");
    int[] vocab = concat(ints(l.get("cat_vocab")), ints(l.get("multi_vocab")));
    InputLayout layout =
        new InputLayout(
            l.get("cat_vocab").size(),
            l.get("multi_vocab").size(),
            l.get("max_multi").asInt(),
            l.get("n_num").asInt());
    CtrModel model = Models.create(config, layout);
    List<Param> params = model.params().all();
    assertThat(params.stream().map(Param::name).toList())
        .as("parameters, in order")
        .containsExactlyElementsOf(iterable(root.get("initial").fieldNames()));
    for (Param p : params) {
      double[] v = flat(root.get("initial").get(p.name()));
      assertThat(v.length).as(p.name()).isEqualTo(p.size());
      System.arraycopy(v, 0, p.value(), 0, v.length);
    }
    assertThat(model.tables()).hasSize(vocab.length);
    for (int f = 0; f < vocab.length; f++) {
      EmbeddingTable t = model.tables().get(f);
      t.ensureRow(vocab[f] - 1);
      double[] rows = flat(root.get("initial_tables").get(f));
      assertThat(rows.length).isEqualTo(vocab[f] * t.dim());
      TableRows.setValues(t, rows);
    }
    model.params().weightsChanged();

    Learner learner = new Learner(model, OptimizerConfig.defaults());
    int batchSize = root.get("batch").asInt();
    int steps = root.get("steps").asInt();
    int tasks = root.get("tasks").asInt();
    assertThat(config.tasks()).isEqualTo(tasks);
    int oov = 0;
    int emptySets = 0;
    int unlabelled = 0;
    for (int s = 0; s < steps; s++) {
      Batch batch = GoldenFile.batch(root.get("inputs"), layout, tasks, s * batchSize, batchSize);
      for (int c : Arrays.copyOf(batch.cat, batchSize * layout.nCat())) {
        oov += c == 0 ? 1 : 0;
      }
      for (int e = 0; e < batchSize * layout.nMulti(); e++) {
        emptySets += batch.multi[e * layout.maxMulti()] == 0 ? 1 : 0;
      }
      for (int i = 0; i < batchSize * tasks; i++) {
        unlabelled += batch.labelMask[i] == 0 ? 1 : 0;
      }
      double[] probs = new double[batchSize * tasks];
      assertThat(learner.predictThenTrain(batch, probs)).isTrue();
      double[] logits = flat(root.get("logits").get(s));
      double[] expected = new double[logits.length];
      for (int i = 0; i < logits.length; i++) {
        expected[i] = 1 / (1 + Math.exp(-logits[i]));
      }
      assertClose(name + " probabilities before step " + s, probs, expected, REL_TOL);
      assertThat(learner.lastLoss())
          .as("loss of step %d", s)
          .isCloseTo(
              root.get("losses").get(s).asDouble(), org.assertj.core.api.Assertions.offset(1e-12));
    }
    assertThat(oov).as("out-of-vocabulary ids in the inputs").isPositive();
    assertThat(emptySets).as("empty multi-valued sets in the inputs").isPositive();
    if (tasks > 1) {
      assertThat(unlabelled).as("missing labels in the inputs").isPositive();
    }

    assertThat(learner.adam().step()).isEqualTo(root.get("adam_step").asLong());
    for (int i = 0; i < params.size(); i++) {
      Param p = params.get(i);
      double[] fin = flat(root.get("final").get(p.name()));
      assertThat(fin)
          .as("%s moved in training", p.name())
          .isNotEqualTo(flat(root.get("initial").get(p.name())));
      assertClose(p.name(), p.value(), fin, REL_TOL);
      JsonNode adam = root.get("adam").get(p.name());
      double[][] mv = learner.adam().moments(i);
      assertClose(p.name() + " exp_avg", mv[0], flat(adam.get("exp_avg")), REL_TOL);
      assertClose(p.name() + " exp_avg_sq", mv[1], flat(adam.get("exp_avg_sq")), REL_TOL);
    }
    for (int f = 0; f < vocab.length; f++) {
      EmbeddingTable t = model.tables().get(f);
      assertThat(t.rows()).as("rows of table %d (the inputs never grow it)", f).isEqualTo(vocab[f]);
      int n = vocab[f] * t.dim();
      double[] rows = flat(root.get("final_tables").get(f));
      assertClose("table " + f + " rows", Arrays.copyOf(TableRows.values(t), n), rows, REL_TOL);
      assertThat(Arrays.copyOf(TableRows.values(t), t.dim()))
          .as("table %d row 0 (out of vocabulary)", f)
          .containsOnly(0.0);
      assertClose(
          "table " + f + " Adagrad sums",
          Arrays.copyOf(TableRows.accumulators(t), n),
          flat(root.get("adagrad_sum").get(f)),
          REL_TOL);
    }
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
