package ai.hiformer.bench;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.snapshot.ChangedRows;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.SavedRows;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.ModelProfile;
import ai.hiformer.model.Models;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A model past the old single-array limit (8.4 M rows at d = 16) through the two ways it is
 * persisted: a serving snapshot (written, read back and verified) and the job's incremental state
 * (head plus one entry per row, restored into a fresh learner). Both must give back the same
 * learner bytes. Prints timings and sizes, then one JSON line with the keys {@code rows}, {@code
 * snapshot_bytes}, {@code snapshot_write_ms}, {@code snapshot_read_ms}, {@code state_entries},
 * {@code state_save_ms}, {@code state_restore_ms}, {@code identical}.
 *
 * <pre>{@code java -Xmx14g -Dhiformer.snapshot.max-bytes=2000000000 \
 *     -cp bench/target/benchmarks.jar ai.hiformer.bench.LargeModelCheck 10000000}</pre>
 */
public final class LargeModelCheck {
  private LargeModelCheck() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 10_000_000;
    String spec =
        """
        {"name": "large", "format": "jsonl", "tasks": [{"name": "click"}],
         "embedding": {"keys": "hashed", "buckets": %d},
         "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"}]}"""
            .formatted(rows / 2);
    FeatureSpec fs = FeatureSpec.parse(spec);
    var model =
        Models.create(
            ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).build(), fs.layout());
    ChangedRows.track(model); // saved as a learner's checkpoint saves them
    Learner learner = new Learner(model, OptimizerConfig.defaults());
    long t0 = System.nanoTime();
    for (EmbeddingTable t : learner.model().tables()) {
      t.ensureRow(rows / 2); // rows/2 buckets + row 0 per field, each drawn as a new row is
    }
    long total = learner.model().tables().stream().mapToLong(EmbeddingTable::rows).sum();
    System.out.printf(Locale.ROOT, "%,d rows materialised in %.1f s%n", total, secs(t0));
    FeatureEncoder encoder = new FeatureEncoder(fs, null);

    Path root = Files.createTempDirectory("large-model");
    t0 = System.nanoTime();
    byte[] learnerBytes = LearnerCodec.encode(learner);
    Path dir =
        ModelSnapshot.write(
            root,
            "large",
            1,
            spec,
            learnerBytes,
            encoder.stateBytes(),
            learner.model().config().toProperties(),
            new ModelSnapshot.Position(0, 0, 0));
    double writeMs = secs(t0) * 1000;
    long snapshotBytes = Files.size(dir.resolve("learner.bin"));
    t0 = System.nanoTime();
    ModelSnapshot back = ModelSnapshot.read(dir, OptimizerConfig.defaults());
    double readMs = secs(t0) * 1000;
    boolean snapshotSame = Arrays.equals(LearnerCodec.encode(back.learner()), learnerBytes);
    back = null;
    System.out.printf(
        Locale.ROOT,
        "snapshot: %,d bytes (the old layout: %,d, past its 2 GiB limit), written in %.0f ms,"
            + " read and verified in %.0f ms, identical: %s%n",
        snapshotBytes,
        16L * total * 16,
        writeMs,
        readMs,
        snapshotSame);

    t0 = System.nanoTime();
    Map<Long, byte[]> saved = new HashMap<>(2 * rows);
    int entries = SavedRows.drain(learner, saved::put);
    byte[] head = LearnerCodec.encodeWithoutRows(learner);
    double saveMs = secs(t0) * 1000;
    t0 = System.nanoTime();
    Learner restored =
        LearnerCodec.decodeWithoutRows(head, OptimizerConfig.defaults(), ChangedRows::new);
    SavedRows.restore(restored, saved.entrySet());
    double restoreMs = secs(t0) * 1000;
    saved = null;
    boolean stateSame = Arrays.equals(LearnerCodec.encode(restored), learnerBytes);
    System.out.printf(
        Locale.ROOT,
        "incremental state: head %,d bytes + %,d row entries, saved in %.0f ms, restored in"
            + " %.0f ms, identical: %s%n",
        head.length,
        entries,
        saveMs,
        restoreMs,
        stateSame);
    System.out.printf(
        Locale.ROOT,
        "{\"rows\": %d, \"snapshot_bytes\": %d, \"snapshot_write_ms\": %.0f,"
            + " \"snapshot_read_ms\": %.0f, \"state_entries\": %d, \"state_save_ms\": %.0f, \"state_restore_ms\": %.0f,"
            + " \"identical\": %s}%n",
        total,
        snapshotBytes,
        writeMs,
        readMs,
        entries,
        saveMs,
        restoreMs,
        snapshotSame && stateSame);
    if (!(snapshotSame && stateSame)) {
      System.exit(1);
    }
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
