package ai.hiformer.model;

import static ai.hiformer.model.GoldenFile.assertClose;
import static ai.hiformer.model.GoldenFile.flat;
import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.GoldenFile.Rows;
import ai.hiformer.model.nn.Param;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Conformance with the reference implementation: {@code hiformer_small.golden.json} (a float64 case
 * of the reference Hiformer, kept here as a fixture; docs/PROTOCOL.md §2.2) must be reproduced to
 * 1e-9 relative: logits, loss and the gradient of every parameter, embedding rows included.
 */
class HiformerGoldenTest {
  private static final double REL_TOL = 1e-9;

  private static GoldenFile golden;
  private static CtrModel model;
  private static Batch batch;

  @BeforeAll
  static void load() throws IOException {
    golden = new GoldenFile("/golden/hiformer_small.golden.json");
    model = golden.newModel();
    batch = golden.batch(0, golden.root.get("inputs").get("y").size());
    golden.setWeights(model, golden.root.get("params"));
  }

  @Test
  void logitsAndLossMatchTheReference() {
    double[] logits = new double[batch.size()];
    double[] dLogits = new double[batch.size()];
    model.forward(batch, logits);
    double loss = Loss.lossAndGradient(batch, logits, dLogits);
    assertClose("logits", logits, flat(golden.root.get("logits")), REL_TOL);
    assertClose(
        "loss", new double[] {loss}, new double[] {golden.root.get("loss").asDouble()}, REL_TOL);
  }

  @Test
  void everyGradientMatchesTheReference() {
    TestBatches.gradients(model, batch);
    JsonNode g = golden.root.get("grads");
    List<String> checked = new ArrayList<>();
    for (Param p : model.params().all()) {
      String ref = GoldenFile.referenceName(p.name());
      assertClose(p.name(), GoldenFile.inReferenceLayout(p, p.grad()), flat(g.get(ref)), REL_TOL);
      checked.add(ref);
    }
    double[] expectedEmb = flat(g.get("tok.emb.weight"));
    assertClose(
        "tok.emb.weight",
        golden.sharedTable(model, Rows.GRADS, expectedEmb.length),
        expectedEmb,
        REL_TOL);
    checked.add("tok.emb.weight");
    List<String> all = new ArrayList<>();
    g.fieldNames().forEachRemaining(all::add);
    assertThat(checked).containsExactlyInAnyOrderElementsOf(all);
  }
}
