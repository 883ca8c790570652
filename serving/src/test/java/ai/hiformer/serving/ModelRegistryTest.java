package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.snapshot.ModelSnapshot;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {
  @TempDir
  Path root;

  private static Map<String, Double> score(ModelRegistry r, int event) throws Exception {
    return r.model("m").orElseThrow().score(JsonLinesReader.of(new ObjectMapper().readTree(Snapshots.features(event)), "t"));
  }

  @Test
  void theNewestCompleteVersionIsServedAndSwappedInOnRefresh() throws Exception {
    Snapshots s = new Snapshots();
    s.nextVersion(root);
    ModelRegistry r = new ModelRegistry(root, 2);
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(1);
    Map<String, Double> v1 = score(r, 5);
    s.nextVersion(root);
    Files.createDirectories(root.resolve("m").resolve(".tmp-v000000000099-123")); // a write in progress is ignored
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(2);
    assertThat(score(r, 5).get("click")).isNotEqualTo(v1.get("click"));
    assertThat(r.rejections()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"truncated", "wrong checksum", "unknown format version", "partial"})
  void aDamagedSnapshotIsRejectedWithAReasonAndTheOldModelKeepsServing(String damage) throws Exception {
    Snapshots s = new Snapshots();
    s.nextVersion(root);
    ModelRegistry r = new ModelRegistry(root, 1);
    r.refresh();
    Map<String, Double> before = score(r, 3);
    Path bad = s.nextVersion(root);
    ObjectMapper json = new ObjectMapper();
    switch (damage) {
      case "truncated" -> {
        byte[] b = Files.readAllBytes(bad.resolve("learner.bin"));
        Files.write(bad.resolve("learner.bin"), java.util.Arrays.copyOf(b, b.length / 3));
      }
      case "wrong checksum" -> {
        ObjectNode m = (ObjectNode) json.readTree(bad.resolve(ModelSnapshot.MANIFEST).toFile());
        ((ObjectNode) m.get("files")).put("encoder.bin", "00".repeat(32));
        json.writeValue(bad.resolve(ModelSnapshot.MANIFEST).toFile(), m);
      }
      case "unknown format version" -> {
        ObjectNode m = (ObjectNode) json.readTree(bad.resolve(ModelSnapshot.MANIFEST).toFile());
        m.put("format_version", 99);
        json.writeValue(bad.resolve(ModelSnapshot.MANIFEST).toFile(), m);
      }
      default -> Files.delete(bad.resolve(ModelSnapshot.MANIFEST));
    }
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).as("still serving").isEqualTo(1);
    assertThat(score(r, 3)).isEqualTo(before);
    assertThat(r.rejections()).isEqualTo(1);
    String reason = r.rejectionReasons().get(bad);
    assertThat(reason).contains(switch (damage) {
      case "truncated", "wrong checksum" -> "checksum mismatch";
      case "unknown format version" -> "snapshot format v99 is not supported by this version (it reads v1)";
      default -> "no manifest.json";
    });
    r.refresh(); // a rejected snapshot is not retried
    assertThat(r.rejections()).isEqualTo(1);
    s.nextVersion(root); // and a good newer one is taken
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(3);
  }
}
