package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.Models;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot's summary (its manifest only) says what the whole read says of model, version,
 * position and metrics, and the newest version is found by number.
 */
class SnapshotSummaryTest {
  private static final String SPEC =
      """
      {"name": "s", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "price", "kind": "numeric"}]}""";

  @TempDir Path root;

  private Path write(long version, long examples) throws Exception {
    FeatureSpec spec = FeatureSpec.parse(SPEC);
    Learner learner =
        new Learner(
            Models.create(ModelConfig.builder(ModelKind.HIFORMER).build(), spec.layout()),
            OptimizerConfig.defaults());
    return ModelSnapshot.write(
        root,
        "m",
        version,
        SPEC,
        LearnerCodec.encode(learner),
        new FeatureEncoder(spec, null).stateBytes(),
        learner.model().config().toProperties(),
        new ModelSnapshot.Position(examples, 7, 3),
        Map.of("click.examples", (double) examples, "click.late_positives", 2.0));
  }

  @Test
  void theSummaryIsWhatTheWholeReadSaysAndTheNewestIsByNumber() throws Exception {
    write(9, 900);
    Path v10 = write(10, 1000);
    assertThat(ModelSnapshot.newest(root.resolve("m"))).contains(v10);
    assertThat(ModelSnapshot.newest(root.resolve("absent"))).isEmpty();

    ModelSnapshot whole = ModelSnapshot.read(v10, OptimizerConfig.defaults());
    ModelSnapshot.Summary summary = ModelSnapshot.readSummary(v10);
    assertThat(summary.modelId()).isEqualTo(whole.modelId()).isEqualTo("m");
    assertThat(summary.modelVersion()).isEqualTo(whole.modelVersion()).isEqualTo(10);
    assertThat(summary.position()).isEqualTo(whole.position());
    assertThat(summary.position().examplesTrained()).isEqualTo(1000);
    assertThat(summary.metrics())
        .isEqualTo(whole.metrics())
        .containsEntry("click.examples", 1000.0);

    // The manifest's checksum still guards the summary.
    Files.writeString(
        v10.resolve(ModelSnapshot.MANIFEST),
        Files.readString(v10.resolve(ModelSnapshot.MANIFEST)).replace("1000", "1001"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelSnapshot.readSummary(v10))
        .isInstanceOf(java.io.IOException.class);
  }
}
