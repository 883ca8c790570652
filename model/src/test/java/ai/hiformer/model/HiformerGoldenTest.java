package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.train.Loss;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Conformance with the reference implementation: {@code hiformer_small.golden.json} (a float64 case of
 * the reference Hiformer, copied from shared/eval as a fixture) must be reproduced to 1e-9 relative:
 * logits, loss and the gradient of every parameter, embedding rows included.
 */
class HiformerGoldenTest {
  private static final double REL_TOL = 1e-9;
  private static final double ABS_FLOOR = 1e-15;

  private static JsonNode golden;
  private static CtrModel model;
  private static Batch batch;
  private static int[] offsets;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = HiformerGoldenTest.class.getResourceAsStream("/golden/hiformer_small.golden.json")) {
      golden = new ObjectMapper().readTree(in);
    }
    JsonNode c = golden.get("config");
    JsonNode schema = c.get("schema");
    int nCat = schema.get("cat_vocab").size();
    int nMulti = schema.get("multi_vocab").size();
    int nNum = schema.get("n_num").asInt();
    JsonNode in = golden.get("inputs");
    int b = in.get("y").size();
    int maxMulti = in.get("multi").get(0).get(0).size();
    InputLayout layout = new InputLayout(nCat, nMulti, maxMulti, nNum);
    int d = c.get("d").asInt();
    ModelConfig config = ModelConfig.builder(ModelKind.HIFORMER).d(d).heads(c.get("heads").asInt())
        .keyDim(c.get("dk").asInt()).valueDim(c.get("dk").asInt()).rankQ(c.get("rq").asInt())
        .rankK(c.get("rk").asInt()).rankV(c.get("rv").asInt()).layers(c.get("layers").asInt())
        .pruneLastLayer(c.get("prune_last").asBoolean()).headHidden(c.get("head_hidden").get(0).asInt())
        .ffnHidden(4 * d).build();
    model = Models.create(config, layout);
    offsets = ints(golden.get("offsets"));

    batch = layout.newBatch(b, 1);
    batch.setSize(b);
    for (int i = 0; i < b; i++) {
      for (int f = 0; f < nCat; f++) {
        batch.cat[i * nCat + f] = in.get("cat").get(i).get(f).asInt();
      }
      for (int f = 0; f < nMulti; f++) {
        for (int k = 0; k < maxMulti; k++) {
          batch.multi[(i * nMulti + f) * maxMulti + k] = in.get("multi").get(i).get(f).get(k).asInt();
        }
      }
      for (int f = 0; f < nNum; f++) {
        batch.num[i * nNum + f] = in.get("num").get(i).get(f).asDouble();
        batch.miss[i * nNum + f] = in.get("miss").get(i).get(f).asDouble();
      }
      batch.label[i] = in.get("y").get(i).asDouble();
      batch.labelMask[i] = 1;
    }
    JsonNode p = golden.get("params");
    int[] vocab = concat(ints(schema.get("cat_vocab")), ints(schema.get("multi_vocab")));
    for (int f = 0; f < vocab.length; f++) {
      EmbeddingTable t = model.tables().get(f);
      t.ensureRow(vocab[f] - 1);
      double[] emb = flat(p.get("tok.emb.weight"));
      for (int v = 1; v < vocab[f]; v++) {
        System.arraycopy(emb, (offsets[f] + v) * d, t.values(), v * d, d);
      }
    }
    for (Param param : model.params().all()) {
      copy(flat(p.get(goldenName(param.name()))), param, param.name().startsWith("head0.0.W"));
    }
  }

  /** Our parameter names → the reference's. */
  private static String goldenName(String ours) {
    return switch (ours) {
      case "task" -> "task";
      case "tok.num_w" -> "tok.num_w";
      case "tok.num_miss" -> "tok.num_miss";
      case "head0.0.W" -> "head.net.0.weight";
      case "head0.0.b" -> "head.net.0.bias";
      case "head0.1.W" -> "head.net.2.weight";
      case "head0.1.b" -> "head.net.2.bias";
      default -> {
        String s = ours.replace("layer0.", "layers.0.");
        s = s.replaceAll("\\.(U[qkv]|V[qkv])\\.W$", ".$1");
        s = s.replaceAll("\\.(Wo|W1|W2)\\.W$", ".tail.$1");
        s = s.replace(".Wo.b", ".tail.bo").replace(".W1.b", ".tail.b1").replace(".W2.b", ".tail.b2");
        s = s.replace(".ln1.gamma", ".tail.ln1.weight").replace(".ln1.beta", ".tail.ln1.bias");
        s = s.replace(".ln2.gamma", ".tail.ln2.weight").replace(".ln2.beta", ".tail.ln2.bias");
        yield s;
      }
    };
  }

  @Test
  void logitsAndLossMatchTheReference() {
    double[] logits = new double[batch.size()];
    double[] dLogits = new double[batch.size()];
    model.forward(batch, logits);
    double loss = Loss.lossAndGradient(batch, logits, dLogits);
    assertClose("logits", logits, flat(golden.get("logits")));
    assertClose("loss", new double[] {loss}, new double[] {golden.get("loss").asDouble()});
  }

  @Test
  void everyGradientMatchesTheReference() {
    double[] logits = new double[batch.size()];
    double[] dLogits = new double[batch.size()];
    model.params().zeroGrads();
    model.forward(batch, logits);
    Loss.lossAndGradient(batch, logits, dLogits);
    model.backward(batch, dLogits);
    JsonNode g = golden.get("grads");
    List<String> checked = new ArrayList<>();
    for (Param p : model.params().all()) {
      String ref = goldenName(p.name());
      double[] expected = flat(g.get(ref));
      double[] actual = p.grad();
      if (p.name().startsWith("head0.0.W")) {
        actual = transpose(actual, model.config().d(), model.config().headHidden());
      }
      assertClose(p.name(), actual, expected);
      checked.add(ref);
    }
    // Embedding rows: reconstruct the reference's shared table gradient from our per-field tables.
    double[] expectedEmb = flat(g.get("tok.emb.weight"));
    double[] actualEmb = new double[expectedEmb.length];
    int d = model.config().d();
    for (int f = 0; f < model.tables().size(); f++) {
      EmbeddingTable t = model.tables().get(f);
      for (int r = 0; r < t.touchedCount(); r++) {
        int id = t.touchedRows()[r];
        System.arraycopy(t.grads(), id * d, actualEmb, (offsets[f] + id) * d, d);
      }
    }
    assertClose("tok.emb.weight", actualEmb, expectedEmb);
    checked.add("tok.emb.weight");
    List<String> all = new ArrayList<>();
    g.fieldNames().forEachRemaining(all::add);
    assertThat(checked).containsExactlyInAnyOrderElementsOf(all);
  }

  private static void assertClose(String what, double[] actual, double[] expected) {
    assertThat(actual.length).as(what + " length").isGreaterThanOrEqualTo(expected.length);
    for (int i = 0; i < expected.length; i++) {
      double tol = REL_TOL * Math.abs(expected[i]) + ABS_FLOOR;
      assertThat(Math.abs(actual[i] - expected[i])).as("%s[%d]: %s vs %s", what, i, actual[i], expected[i])
          .isLessThanOrEqualTo(tol);
    }
  }

  private static void copy(double[] src, Param dst, boolean transposeTorchLinear) {
    double[] v = transposeTorchLinear ? transpose(src, dst.shape()[1], dst.shape()[0]) : src;
    assertThat(v.length).as(dst.name()).isEqualTo(dst.size());
    System.arraycopy(v, 0, dst.value(), 0, v.length);
  }

  private static double[] transpose(double[] a, int rows, int cols) {
    double[] t = new double[a.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = a[i * cols + j];
      }
    }
    return t;
  }

  private static double[] flat(JsonNode n) {
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

  private static int[] ints(JsonNode n) {
    double[] f = flat(n);
    int[] a = new int[f.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = (int) f[i];
    }
    return a;
  }

  private static int[] concat(int[] a, int[] b) {
    int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
