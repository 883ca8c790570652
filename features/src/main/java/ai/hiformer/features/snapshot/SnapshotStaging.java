package ai.hiformer.features.snapshot;

import ai.hiformer.features.io.Folders;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Snapshots written in two phases, so that one a checkpoint's state presumes written is written
 * even when the job fails between the checkpoint's completion and the writer hearing of it: staged
 * at the checkpoint's barrier (under {@code <root>/<model>/.staged/<checkpoint>-<writer>/}, which
 * readers of the folder ignore), and promoted to {@code <root>/<model>/v<version>} once the
 * checkpoint completes, or when a job restores that checkpoint. Promoting twice, or a version
 * written already, changes nothing.
 */
public final class SnapshotStaging {
  private SnapshotStaging() {}

  /** Writes a snapshot into checkpoint {@code checkpointId}'s staging area; returns its path. */
  public static Path stage(
      Path root,
      long checkpointId,
      int writer,
      String modelId,
      long version,
      String specJson,
      byte[] learnerBytes,
      byte[] encoderBytes,
      String modelConfig,
      ModelSnapshot.Position position,
      Map<String, Double> metrics)
      throws IOException {
    Path area = root.resolve(modelId).resolve(".staged").resolve(checkpointId + "-" + writer);
    return ModelSnapshot.write(
        area,
        modelId,
        version,
        specJson,
        learnerBytes,
        encoderBytes,
        modelConfig,
        position,
        metrics);
  }

  /**
   * Moves a staged snapshot to its place under {@code root}; a staged snapshot gone already (it was
   * promoted) is left alone, one whose version is in place already is deleted.
   *
   * @return the model id it belongs to
   */
  public static String promote(Path root, Path staged) throws IOException {
    String modelId = staged.getParent().getFileName().toString();
    Path target = ModelSnapshot.directory(root, modelId, ModelSnapshot.versionOf(staged));
    if (Files.isDirectory(staged)) {
      if (Files.isDirectory(target)) {
        Folders.deleteTree(staged); // the same version, written before
      } else {
        Files.createDirectories(target.getParent());
        try {
          Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(staged, target);
        } catch (FileSystemException e) {
          if (!Files.isDirectory(target)) {
            throw e;
          }
          Folders.deleteTree(staged); // another writer promoted the same version meanwhile
        }
      }
    }
    // The staging area of that checkpoint and writer, and the model's, once empty.
    Path area = staged.getParent().getParent();
    for (Path p : new Path[] {staged.getParent(), area, area.getParent()}) {
      try {
        Files.deleteIfExists(p);
      } catch (DirectoryNotEmptyException e) {
        break; // more snapshots of the same checkpoint still staged
      }
    }
    return modelId;
  }
}
