package ai.hiformer.features.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStagingTest {
  @TempDir Path root;

  private static final String SPEC =
      "{\"format\": \"jsonl\", \"tasks\": [{\"name\": \"click\"}],"
          + " \"fields\": [{\"name\": \"user\", \"kind\": \"categorical\"}]}";

  private Path stage(long checkpoint, long version, byte[] learner) throws Exception {
    return stage(checkpoint, version, learner, 0);
  }

  private Path stage(long checkpoint, long version, byte[] learner, int writer) throws Exception {
    return SnapshotStaging.stage(
        root,
        checkpoint,
        writer,
        "m",
        version,
        SPEC,
        learner,
        new byte[] {9},
        "kind=lr\n",
        new ModelSnapshot.Position(10, 10, checkpoint),
        Map.of());
  }

  @Test
  void aStagedSnapshotIsInvisibleUntilPromotedAndPromotingTwiceChangesNothing() throws Exception {
    Path staged = stage(4, 2, new byte[] {1, 2, 3});
    Path target = ModelSnapshot.directory(root, "m", 2);
    assertThat(target).doesNotExist();
    assertThat(ModelSnapshot.versionOf(staged)).isEqualTo(2);
    assertThat(SnapshotStaging.promote(root, staged)).isEqualTo("m");
    assertThat(target.resolve(ModelSnapshot.MANIFEST)).exists();
    assertThat(Files.readAllBytes(target.resolve("learner.bin"))).containsExactly(1, 2, 3);
    assertThat(SnapshotStaging.promote(root, staged)).isEqualTo("m"); // a restore repeats it
    try (var s = Files.list(root.resolve("m"))) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("v000000000002");
    }
  }

  @Test
  void aVersionInPlaceAlreadyIsKeptAndTheStagedCopyDropped() throws Exception {
    SnapshotStaging.promote(root, stage(4, 2, new byte[] {1}));
    Path again = stage(5, 2, new byte[] {7});
    SnapshotStaging.promote(root, again);
    assertThat(again).doesNotExist();
    assertThat(Files.readAllBytes(ModelSnapshot.directory(root, "m", 2).resolve("learner.bin")))
        .containsExactly(1);
  }

  @Test
  void aStagedDeltaGoesToTheModelsDeltasFolder() throws Exception {
    var spec = ai.hiformer.features.spec.FeatureSpec.parse(SPEC);
    var model =
        ai.hiformer.model.Models.create(
            ai.hiformer.model.ModelConfig.builder(ai.hiformer.model.ModelKind.LR).build(),
            spec.layout());
    ChangedRows.track(model);
    model.tables().get(0).ensureRow(3); // rows changed since the base
    var learner =
        new ai.hiformer.model.train.Learner(
            model, ai.hiformer.model.optim.OptimizerConfig.defaults());
    ModelDelta delta =
        ModelDelta.capture(
            learner, new ai.hiformer.features.FeatureEncoder(spec, null), 2, 1, false);
    Path staged = SnapshotStaging.stageDelta(root, 7, 1, "m", delta);
    Path target = ModelDelta.directory(root, "m", 2, 1);
    assertThat(target).doesNotExist();
    assertThat(SnapshotStaging.promote(root, staged)).isEqualTo("m");
    assertThat(target).isDirectory();
    assertThat(root.resolve("m").resolve(".staged")).doesNotExist(); // the staging area is gone
  }

  @Test
  void aSweepDeletesAWritersAreasUpToACompletedCheckpointOnly() throws Exception {
    Path failed = stage(4, 1, new byte[] {1}, 0); // staged by an attempt that failed
    Path later = stage(9, 2, new byte[] {2}, 0); // a checkpoint still in flight
    Path other = stage(3, 3, new byte[] {3}, 1); // another writer's
    assertThat(SnapshotStaging.sweep(root, "m", 0, 8)).isEqualTo(1);
    assertThat(failed).doesNotExist();
    assertThat(later).exists();
    assertThat(other).exists();
    assertThat(SnapshotStaging.sweep(root, "absent", 0, 8)).isZero();
  }
}
