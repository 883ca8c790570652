package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.JsonLinesReader;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Incremental sync: full(t0) + deltas(t0 → t1) serves exactly what full(t1) serves. */
class DeltaSyncTest {
  @TempDir Path root;

  @TempDir Path reference;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer", "hiformer+dcnv2+lr"})
  void aFullSnapshotPlusItsDeltasScoresIdenticallyToTheLaterFullSnapshot(String kind)
      throws Exception {
    Snapshots s = new Snapshots(kind);
    s.nextVersion(root); // full snapshot v1
    ModelRegistry registry = new ModelRegistry(root, 2);
    registry.refresh();
    assertThat(registry.model("m").orElseThrow().version()).isEqualTo(1);

    s.train(); // v2: rows only, dense weights stay at v1 in the server until the dense delta
    s.delta(1, 1, false).write(root, "m");
    registry.refresh();
    ServedModel afterRows = registry.model("m").orElseThrow();
    assertThat(afterRows.version()).isEqualTo(2);
    assertThat(afterRows.appliedDeltas()).isEqualTo(1);

    s.train();
    s.train(); // v4: rows and dense weights
    s.delta(1, 2, true).write(root, "m");
    Path full = s.writeFull(reference); // what a full snapshot at the same moment holds
    registry.refresh();
    ServedModel synced = registry.model("m").orElseThrow();
    assertThat(synced.version()).isEqualTo(4);
    assertThat(synced.baseVersion()).isEqualTo(1);

    ServedModel expected = ServedModel.load(full, 1);
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < 400; i += 3) { // known and new users, known and unseen values
      var row = JsonLinesReader.of(json.readTree(Snapshots.features(i)), "t");
      assertThat(synced.score(row)).as("event %d", i).isEqualTo(expected.score(row));
    }
    assertThat(registry.rejections()).isZero();
  }
}
