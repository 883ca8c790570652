package ai.hiformer.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.features.snapshot.Retention;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshot retention keeps the newest complete versions and their deltas, and never a version being
 * written.
 */
class RetentionTest {
  @TempDir Path root;

  private Path version(long v, boolean complete) throws Exception {
    Path d = Files.createDirectories(root.resolve("m").resolve(String.format("v%012d", v)));
    Files.writeString(d.resolve("learner.bin"), "x");
    if (complete) {
      Files.writeString(d.resolve("manifest.json"), "{}");
    }
    return d;
  }

  private Path delta(long base, int seq) throws Exception {
    return Files.createDirectories(
        root.resolve("m").resolve("deltas").resolve(String.format("v%012d-d%08d", base, seq)));
  }

  private List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void theNewestCompleteVersionsAndTheirDeltasStayAndTheRestGoes() throws Exception {
    for (long v = 1; v <= 5; v++) {
      version(v, true);
      delta(v, 1);
      delta(v, 2);
    }
    version(6, false); // being written: neither counted nor deleted
    assertThat(Retention.prune(root, "m", 3)).isEqualTo(2 + 4);
    assertThat(names(root.resolve("m")))
        .containsExactly(
            "deltas", "v000000000003", "v000000000004", "v000000000005", "v000000000006");
    assertThat(names(root.resolve("m").resolve("deltas")))
        .containsExactly(
            "v000000000003-d00000001",
            "v000000000003-d00000002",
            "v000000000004-d00000001",
            "v000000000004-d00000002",
            "v000000000005-d00000001",
            "v000000000005-d00000002");
    assertThat(Retention.prune(root, "m", 3)).as("nothing more to prune").isZero();
  }

  @Test
  void keepingFewerThanTwoIsRefused() {
    assertThatThrownBy(() -> Retention.prune(root, "m", 1)).hasMessageContaining("snapshot.keep");
  }
}
