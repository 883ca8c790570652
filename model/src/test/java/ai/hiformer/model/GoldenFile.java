package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A float64 case written by the PyTorch reference (golden files under {@code
 * src/test/resources/golden}): its configuration, inputs and parameters mapped onto our model.
 * Parameter names follow the reference's modules ({@code layers.0.tail.Wo}; torch {@code Linear}
 * weights stored [out, in]); {@link #referenceName} translates ours.
 */
final class GoldenFile {
  final JsonNode root;
  final InputLayout layout;
  final int[] offsets;

  /** Vocabulary sizes incl. id 0, cat fields then multi fields. */
  final int[] vocab;

  final int d;

  GoldenFile(String resource) throws IOException {
    try (InputStream in = GoldenFile.class.getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      root = new ObjectMapper().readTree(in);
    }
    JsonNode schema = root.get("config").get("schema");
    int maxMulti = root.get("inputs").get("multi").get(0).get(0).size();
    layout =
        new InputLayout(
            schema.get("cat_vocab").size(),
            schema.get("multi_vocab").size(),
            maxMulti,
            schema.get("n_num").asInt());
    offsets = ints(root.get("offsets"));
    vocab = concat(ints(schema.get("cat_vocab")), ints(schema.get("multi_vocab")));
    d = root.get("config").get("d").asInt();
  }

  /** A Hiformer with the file's configuration (weights not yet set). */
  CtrModel newModel() {
    JsonNode c = root.get("config");
    ModelConfig config =
        ModelConfig.builder(ModelKind.HIFORMER)
            .d(d)
            .heads(c.get("heads").asInt())
            .keyDim(c.get("dk").asInt())
            .valueDim(c.get("dk").asInt())
            .rankQ(c.get("rq").asInt())
            .rankK(c.get("rk").asInt())
            .rankV(c.get("rv").asInt())
            .layers(c.get("layers").asInt())
            .pruneLastLayer(c.get("prune_last").asBoolean())
            .headHidden(c.get("head_hidden").get(0).asInt())
            .ffnHidden(4 * d)
            .build();
    return Models.create(config, layout);
  }

  /** Events [from, from + n) of the file's inputs as one batch. */
  Batch batch(int from, int n) {
    return batch(root.get("inputs"), layout, 1, from, n);
  }

  /**
   * Events [from, from + n) of a fixture's {@code inputs} (cat, multi, num, miss, y and, with
   * several tasks, y and mask per task) as one batch of {@code tasks} tasks.
   */
  static Batch batch(JsonNode in, InputLayout layout, int tasks, int from, int n) {
    int nCat = layout.nCat();
    int nMulti = layout.nMulti();
    int maxMulti = layout.maxMulti();
    int nNum = layout.nNum();
    Batch batch = layout.newBatch(n, tasks);
    batch.setSize(n);
    for (int i = 0; i < n; i++) {
      int e = from + i;
      for (int f = 0; f < nCat; f++) {
        batch.cat[i * nCat + f] = in.get("cat").get(e).get(f).asInt();
      }
      for (int f = 0; f < nMulti; f++) {
        for (int k = 0; k < maxMulti; k++) {
          batch.multi[(i * nMulti + f) * maxMulti + k] =
              in.get("multi").get(e).get(f).get(k).asInt();
        }
      }
      for (int f = 0; f < nNum; f++) {
        batch.num[i * nNum + f] = in.get("num").get(e).get(f).asDouble();
        batch.miss[i * nNum + f] = in.get("miss").get(e).get(f).asDouble();
      }
      JsonNode y = in.get("y").get(e);
      for (int k = 0; k < tasks; k++) {
        batch.label[i * tasks + k] = y.isArray() ? y.get(k).asDouble() : y.asDouble();
        batch.labelMask[i * tasks + k] = y.isArray() ? in.get("mask").get(e).get(k).asDouble() : 1;
      }
    }
    return batch;
  }

  /**
   * Sets every weight and embedding row of the model from {@code params} (reference names and
   * layouts).
   */
  void setWeights(CtrModel model, JsonNode params) {
    double[] emb = flat(params.get("tok.emb.weight"));
    for (int f = 0; f < vocab.length; f++) {
      EmbeddingTable t = model.tables().get(f);
      t.ensureRow(vocab[f] - 1);
      double[] rows = new double[vocab[f] * d];
      for (int v = 1; v < vocab[f]; v++) {
        System.arraycopy(emb, (offsets[f] + v) * d, rows, v * d, d);
      }
      TableRows.setValues(t, rows);
    }
    for (Param p : model.params().all()) {
      double[] src = flat(params.get(referenceName(p.name())));
      double[] v = isTorchLinear(p) ? transpose(src, p.shape()[1], p.shape()[0]) : src;
      assertThat(v.length).as(p.name()).isEqualTo(p.size());
      System.arraycopy(v, 0, p.value(), 0, v.length);
    }
    model.params().weightsChanged();
  }

  /**
   * The reference's shared table (rows × d) rebuilt from one per-field array of every table: {@code
   * which} picks values, gradients or Adagrad accumulators.
   */
  double[] sharedTable(CtrModel model, Rows which, int length) {
    double[] out = new double[length];
    for (int f = 0; f < model.tables().size(); f++) {
      EmbeddingTable t = model.tables().get(f);
      double[] src =
          switch (which) {
            case VALUES -> TableRows.values(t);
            case GRADS -> TableRows.grads(t);
            case ACCUMULATORS -> TableRows.accumulators(t);
          };
      for (int v = 1; v < vocab[f]; v++) {
        System.arraycopy(src, v * d, out, (offsets[f] + v) * d, d);
      }
    }
    return out;
  }

  enum Rows {
    VALUES,
    GRADS,
    ACCUMULATORS
  }

  /** Our array in the reference's layout (torch Linear weights are [out, in], ours [in, out]). */
  static double[] inReferenceLayout(Param p, double[] ours) {
    return isTorchLinear(p) ? transpose(ours, p.shape()[0], p.shape()[1]) : ours;
  }

  private static boolean isTorchLinear(Param p) {
    return p.name().startsWith("head0.") && p.name().endsWith(".W");
  }

  /** Our parameter names → the reference's. */
  static String referenceName(String ours) {
    return switch (ours) {
      case "task", "tok.num_w", "tok.num_miss" -> ours;
      case "head0.0.W" -> "head.net.0.weight";
      case "head0.0.b" -> "head.net.0.bias";
      case "head0.1.W" -> "head.net.2.weight";
      case "head0.1.b" -> "head.net.2.bias";
      default -> {
        String s = ours.replace("layer0.", "layers.0.");
        s = s.replaceAll("\\.(U[qkv]|V[qkv])\\.W$", ".$1");
        s = s.replaceAll("\\.(Wo|W1|W2)\\.W$", ".tail.$1");
        s =
            s.replace(".Wo.b", ".tail.bo")
                .replace(".W1.b", ".tail.b1")
                .replace(".W2.b", ".tail.b2");
        s = s.replace(".ln1.gamma", ".tail.ln1.weight").replace(".ln1.beta", ".tail.ln1.bias");
        s = s.replace(".ln2.gamma", ".tail.ln2.weight").replace(".ln2.beta", ".tail.ln2.bias");
        yield s;
      }
    };
  }

  /**
   * |actual − expected| ≤ rel·|expected| + 1e-15 elementwise, naming the first element that is not.
   */
  static void assertClose(String what, double[] actual, double[] expected, double rel) {
    assertThat(actual.length).as(what + " length").isGreaterThanOrEqualTo(expected.length);
    for (int i = 0; i < expected.length; i++) {
      double tol = rel * Math.abs(expected[i]) + 1e-15;
      assertThat(Math.abs(actual[i] - expected[i]))
          .as("%s[%d]: %s vs %s", what, i, actual[i], expected[i])
          .isLessThanOrEqualTo(tol);
    }
  }

  static double[] transpose(double[] a, int rows, int cols) {
    double[] t = new double[a.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = a[i * cols + j];
      }
    }
    return t;
  }

  static double[] flat(JsonNode n) {
    List<Double> out = new ArrayList<>();
    flatten(n, out);
    double[] a = new double[out.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = out.get(i);
    }
    return a;
  }

  private static void flatten(JsonNode n, List<Double> out) {
    if (n.isArray()) {
      n.forEach(c -> flatten(c, out));
    } else {
      out.add(n.asDouble());
    }
  }

  static int[] ints(JsonNode n) {
    double[] f = flat(n);
    int[] a = new int[f.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = (int) f[i];
    }
    return a;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
