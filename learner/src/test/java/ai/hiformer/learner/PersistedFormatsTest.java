package ai.hiformer.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.io.Row;
import ai.hiformer.features.snapshot.ModelDelta;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.optim.OptimizerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by a released format version (fixtures under {@code src/test/resources/formats},
 * written by {@link FormatFixtures}): this version loads them and gets what they held, or refuses
 * them with "format vN is not supported by this version". Savepoints, keyed state and snapshot
 * folders outlive the build that wrote them; a change to a format must bump its version and keep or
 * refuse the old one here.
 */
class PersistedFormatsTest {
  private static final double SCORE_TOL = 1e-6; // the scores were recorded on the float path

  @TempDir Path tmp;

  private static Path v1() throws URISyntaxException {
    return Paths.get(PersistedFormatsTest.class.getResource("/formats/v1/expected.json").toURI())
        .getParent();
  }

  private static JsonNode expected() throws Exception {
    try (InputStream in = Files.newInputStream(v1().resolve("expected.json"))) {
      return FormatFixtures.JSON.readTree(in);
    }
  }

  @Test
  void aVersion1RuntimeStateLoadsAndScoresAsItDidWhenWritten() throws Exception {
    JsonNode e = expected();
    byte[] state = Files.readAllBytes(v1().resolve("runtime-state.bin"));
    ModelRuntime r =
        ModelRuntime.fromBytes(state, null, OptimizerConfig.defaults(), FormatFixtures.MICRO_BATCH);
    assertThat(r.spec().json()).isEqualTo(FeatureSpec.parse(FormatFixtures.SPEC).json());
    assertThat(r.version()).isEqualTo(e.get("runtime_version").asLong());
    assertThat(r.scored()).isEqualTo(e.get("runtime_scored").asLong());
    assertThat(r.trainedExamples()).isEqualTo(e.get("runtime_trained_examples").asLong());
    assertThat(r.pendingExamples()).isEqualTo(e.get("runtime_pending_examples").asInt());
    // The learner section is re-encoded in its current format (v2: float32 rows), and then stays
    // put.
    byte[] again = r.toBytes();
    assertThat(again).as("re-encoded").isNotEqualTo(state);
    assertThat(
            ModelRuntime.fromBytes(
                    again, null, OptimizerConfig.defaults(), FormatFixtures.MICRO_BATCH)
                .toBytes())
        .as("re-encoded state reads back unchanged")
        .isEqualTo(again);
    List<Row> probes = FormatFixtures.probes();
    for (int i = 0; i < probes.size(); i++) {
      double[] p = r.scoreAndLearn(probes.get(i), Map.of(), 0);
      assertThat(p[0])
          .as("probe %d, click", i)
          .isCloseTo(e.get("runtime_scores").get(i).get(0).asDouble(), within(SCORE_TOL));
      assertThat(p[1])
          .as("probe %d, buy", i)
          .isCloseTo(e.get("runtime_scores").get(i).get(1).asDouble(), within(SCORE_TOL));
    }
  }

  @Test
  void aVersion1SnapshotAndItsDeltaLoad() throws Exception {
    JsonNode e = expected();
    Path snapshots = v1().resolve("snapshots");
    long version = e.get("snapshot_version").asLong();
    ModelSnapshot s =
        ModelSnapshot.read(
            ModelSnapshot.directory(snapshots, "m", version), OptimizerConfig.defaults());
    assertThat(s.modelVersion()).isEqualTo(version);
    assertThat(s.learner().steps()).isEqualTo(version);
    assertThat(s.position().checkpointId()).isEqualTo(7);
    assertThat(s.metrics()).containsKeys("click.progressive_auc", "buy.progressive_logloss");
    List<Path> deltas = ModelDelta.list(snapshots, "m", version);
    assertThat(deltas).hasSize(1);
    ModelDelta d = ModelDelta.read(deltas.get(0));
    assertThat(d.modelVersion()).isEqualTo(e.get("delta_model_version").asLong());
    d.applyTo(s.learner(), s.encoder());

    // The delta brings the snapshot to the runtime state's model: same weights and rows, so the
    // same scores.
    ModelRuntime r =
        ModelRuntime.fromBytes(
            Files.readAllBytes(v1().resolve("runtime-state.bin")),
            null,
            OptimizerConfig.defaults(),
            FormatFixtures.MICRO_BATCH);
    var want = r.learner().model();
    var got = s.learner().model();
    for (int i = 0; i < want.params().all().size(); i++) {
      assertThat(got.params().all().get(i).value())
          .containsExactly(want.params().all().get(i).value());
    }
  }

  @Test
  void laterFormatVersionsAreRefusedNamingTheVersion() throws Exception {
    byte[] state = Files.readAllBytes(v1().resolve("runtime-state.bin"));
    state[3] = 2;
    assertThatThrownBy(() -> ModelRuntime.fromBytes(state, null, OptimizerConfig.defaults(), 8))
        .hasMessageContaining(
            "model runtime state: format v2 is not supported by this version (it reads v1)");

    ModelRuntime r =
        ModelRuntime.fromBytes(
            Files.readAllBytes(v1().resolve("runtime-state.bin")),
            null,
            OptimizerConfig.defaults(),
            8);
    byte[] learner = r.learnerBytes();
    learner[3] = '3';
    assertThatThrownBy(() -> LearnerCodec.decode(learner, OptimizerConfig.defaults()))
        .hasMessageContaining(
            "learner state: format v3 is not supported by this version (it reads v1 to v2)");

    long version = expected().get("snapshot_version").asLong();
    Path copy = copyTree(v1().resolve("snapshots"), tmp.resolve("snapshots"));
    Path manifest = ModelSnapshot.directory(copy, "m", version).resolve(ModelSnapshot.MANIFEST);
    ObjectNode m = (ObjectNode) FormatFixtures.JSON.readTree(manifest.toFile());
    m.put("format_version", 3);
    FormatFixtures.JSON.writeValue(manifest.toFile(), m);
    assertThatThrownBy(
            () ->
                ModelSnapshot.read(
                    ModelSnapshot.directory(copy, "m", version), OptimizerConfig.defaults()))
        .hasMessageContaining(
            "snapshot format v3 is not supported by this version (it reads v1 to v2)");

    Path deltaManifest = ModelDelta.list(copy, "m", version).get(0).resolve("manifest.json");
    ObjectNode dm = (ObjectNode) FormatFixtures.JSON.readTree(deltaManifest.toFile());
    dm.put("format_version", 3);
    FormatFixtures.JSON.writeValue(deltaManifest.toFile(), dm);
    assertThatThrownBy(() -> ModelDelta.read(ModelDelta.list(copy, "m", version).get(0)))
        .hasMessageContaining(
            "delta format v3 is not supported by this version (it reads v1 to v2)");
  }

  private static Path copyTree(Path from, Path to) throws IOException {
    try (var s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    return to;
  }
}
