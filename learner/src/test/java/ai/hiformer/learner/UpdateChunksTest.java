package ai.hiformer.learner;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.optim.OptimizerConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An update split into parts of a bounded size comes back whole and identical; a part that does not
 * continue the update being assembled (one lost, or a repeat) drops that update, and the next one
 * assembles again.
 */
class UpdateChunksTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ModelUpdate update(ModelRuntime r, int from, boolean full) throws Exception {
    for (int i = from; i < from + 8; i++) {
      r.learnOnly(
          JsonLinesReader.of(
              JSON.readTree("{\"user\": \"u" + i + "\", \"item\": \"i" + i % 3 + "\"}"), "e"),
          Map.of("click", i % 2 == 0 ? 1.0 : 0.0),
          0);
    }
    return r.updates().capture(full, true);
  }

  @Test
  void partsOfABoundedSizeAssembleIntoTheSameUpdateAndABrokenSequenceIsDropped() throws Exception {
    ModelRuntime r =
        new ModelRuntime(
            FeatureSpec.parse(
                """
        {"name": "t", "format": "jsonl", "tasks": [{"name": "click"}],
         "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"}]}"""),
            ModelConfig.builder(ModelKind.HIFORMER).d(8).build(),
            OptimizerConfig.defaults(),
            8);
    ModelUpdate full = update(r, 0, true);
    List<byte[]> parts = UpdateChunks.split(full, 500);
    assertThat(parts)
        .hasSize((full.bytes().length + 499) / 500)
        .allMatch(p -> p.length <= 500 + 28);

    UpdateChunks.Assembler a = new UpdateChunks.Assembler();
    for (int i = 0; i < parts.size() - 1; i++) {
      assertThat(a.offer(parts.get(i))).as("part %d of %d", i, parts.size()).isNull();
    }
    ModelUpdate whole = a.offer(parts.get(parts.size() - 1));
    assertThat(whole.bytes()).isEqualTo(full.bytes());
    assertThat(whole.specJson()).isEqualTo(full.specJson());

    ModelUpdate next = update(r, 100, false);
    List<byte[]> nextParts = UpdateChunks.split(next, 500);
    assertThat(nextParts).hasSizeGreaterThan(2);
    assertThat(a.offer(nextParts.get(0))).isNull();
    assertThat(a.offer(nextParts.get(2))).as("part 1 lost: the update is dropped").isNull();
    assertThat(a.offer(nextParts.get(nextParts.size() - 1))).isNull();
    for (byte[] p : nextParts) { // written again whole (a repeat after a restart): assembles
      ModelUpdate u = a.offer(p);
      if (p == nextParts.get(nextParts.size() - 1)) {
        assertThat(u.bytes()).isEqualTo(next.bytes());
      } else {
        assertThat(u).isNull();
      }
    }
    assertThat(a.offer(next.bytes()).sequence())
        .as("a whole update passes as it is")
        .isEqualTo(next.sequence());
  }
}
