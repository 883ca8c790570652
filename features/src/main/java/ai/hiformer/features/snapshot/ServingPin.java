package ai.hiformer.features.snapshot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.OptionalLong;

/**
 * A rollback: the file {@code <root>/<modelId>/PINNED} names the one full snapshot version that
 * servers load, without its deltas, whatever newer versions the job writes, until the pin is
 * released. Retention never deletes the pinned version.
 */
public final class ServingPin {
  public static final String FILE = "PINNED";

  private ServingPin() {}

  /**
   * The pinned version of {@code modelId}, if any (a pin that is not a version number is reported
   * as invalid).
   */
  public static OptionalLong read(Path root, String modelId) throws IOException {
    Path f = root.resolve(modelId).resolve(FILE);
    if (!Files.isRegularFile(f)) {
      return OptionalLong.empty();
    }
    String text = Files.readString(f, StandardCharsets.UTF_8).trim();
    try {
      long v = Long.parseLong(text);
      if (v < 0) {
        throw new NumberFormatException();
      }
      return OptionalLong.of(v);
    } catch (NumberFormatException e) {
      throw new IOException(f + ": '" + text + "' is not a snapshot version");
    }
  }

  /**
   * Pins serving of {@code modelId} to {@code version}, which must be a complete full snapshot that
   * loads (checked here, so that a rollback never points at nothing). Atomic: servers see the old
   * pin or the new one.
   */
  public static void pin(Path root, String modelId, long version) throws IOException {
    Path dir = ModelSnapshot.directory(root, modelId, version);
    if (!Files.isRegularFile(dir.resolve(ModelSnapshot.MANIFEST))) {
      throw new IOException("no complete snapshot " + dir + " to roll back to");
    }
    ModelSnapshot.read(
        dir, ai.hiformer.model.optim.OptimizerConfig.defaults()); // verifies checksums and fit
    Path tmp = root.resolve(modelId).resolve(".tmp-" + FILE);
    Files.writeString(tmp, version + "\n", StandardCharsets.UTF_8);
    Files.move(
        tmp,
        root.resolve(modelId).resolve(FILE),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  /** Releases the pin: servers go back to the newest version. Returns whether there was one. */
  public static boolean release(Path root, String modelId) throws IOException {
    return Files.deleteIfExists(root.resolve(modelId).resolve(FILE));
  }
}
