package ai.hiformer.features;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.spec.FeatureSpec;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The specs shipped in {@code specs/} load, and {@code movielens-hashed.json} is {@code
 * movielens.json} with hashed keys (what several learners of one model need), nothing else.
 */
class ShippedSpecsTest {
  @Test
  void everyShippedSpecLoads() throws Exception {
    try (Stream<Path> specs = Files.list(SharedData.repoFile("specs"))) {
      for (Path spec : specs.filter(p -> p.toString().endsWith(".json")).toList()) {
        assertThat(FeatureSpec.load(spec).fields()).as("%s", spec).isNotEmpty();
      }
    }
  }

  @Test
  void theHashedMovieLensSpecDiffersOnlyInItsKeys() throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode exact =
        (ObjectNode) json.readTree(SharedData.repoFile("specs/movielens.json").toFile());
    ObjectNode hashed =
        (ObjectNode) json.readTree(SharedData.repoFile("specs/movielens-hashed.json").toFile());
    assertThat(hashed.path("embedding").path("keys").asText()).isEqualTo("hashed");
    for (ObjectNode spec : new ObjectNode[] {exact, hashed}) {
      spec.remove("embedding");
      spec.remove("description");
    }
    assertThat(hashed).isEqualTo(exact);
  }
}
