package ai.hiformer.features.snapshot;

import ai.hiformer.features.io.Folders;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Snapshots and deltas written in two phases, so that one a checkpoint's state presumes written is
 * written even when the job fails between the checkpoint's completion and the writer hearing of it:
 * staged at the checkpoint's barrier (under {@code <root>/<model>/.staged/<checkpoint>-<writer>/},
 * which readers of the folder ignore), and promoted to their place ({@code
 * <root>/<model>/v<version>}, {@code <root>/<model>/deltas/...}) once the checkpoint completes, or
 * when a job restores that checkpoint. Promoting twice, or something in place already, changes
 * nothing.
 */
public final class SnapshotStaging {
  private SnapshotStaging() {}

  /** Writes a delta into checkpoint {@code checkpointId}'s staging area; returns its path. */
  public static Path stageDelta(
      Path root, long checkpointId, int writer, String modelId, ModelDelta delta)
      throws IOException {
    return delta.write(area(root, modelId, checkpointId, writer), modelId);
  }

  private static Path area(Path root, String modelId, long checkpointId, int writer) {
    return root.resolve(modelId).resolve(STAGED).resolve(checkpointId + "-" + writer);
  }

  private static final String STAGED = ".staged";

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
    return ModelSnapshot.write(
        area(root, modelId, checkpointId, writer),
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
   * Moves a staged snapshot or delta to its place under {@code root}; one gone already (it was
   * promoted) is left alone, one in place already is deleted.
   *
   * @return the model id it belongs to
   */
  public static String promote(Path root, Path staged) throws IOException {
    Path area = staged;
    while (area.getParent() != null && !area.getParent().getFileName().toString().equals(STAGED)) {
      area = area.getParent();
    }
    if (area.getParent() == null) {
      throw new IllegalArgumentException(staged + " is not in a staging area");
    }
    Path relative = area.relativize(staged); // <model>/v..., or <model>/deltas/v...-d...
    String modelId = relative.getName(0).toString();
    Path target = root.resolve(relative.toString());
    if (Files.isDirectory(staged)) {
      Files.createDirectories(target.getParent());
      ListedFiles.moveIntoPlace(staged, target); // in place already: the staged copy goes
    }
    // The staging area's folders up to the model's, once empty.
    for (Path p = staged.getParent(); p != null && !p.equals(area.getParent().getParent()); ) {
      try {
        Files.deleteIfExists(p);
      } catch (DirectoryNotEmptyException e) {
        break; // more of the same checkpoint still staged
      }
      p = p.getParent();
    }
    return modelId;
  }

  /**
   * Deletes {@code modelId}'s staging areas of writer {@code writer} for checkpoints up to {@code
   * completedCheckpoint}: once that checkpoint completed, everything of the writer's staged for it
   * or before was promoted, so what is left was staged by an attempt that failed before its
   * checkpoint completed. Returns how many areas went.
   */
  public static int sweep(Path root, String modelId, int writer, long completedCheckpoint)
      throws IOException {
    Path staging = root.resolve(modelId).resolve(STAGED);
    if (!Files.isDirectory(staging)) {
      return 0;
    }
    int deleted = 0;
    String suffix = "-" + writer;
    try (var s = Files.list(staging)) {
      for (Path area : s.toList()) {
        String name = area.getFileName().toString();
        if (!name.endsWith(suffix)) {
          continue;
        }
        try {
          long checkpoint = Long.parseLong(name.substring(0, name.length() - suffix.length()));
          if (checkpoint <= completedCheckpoint) {
            Folders.deleteTree(area);
            deleted++;
          }
        } catch (NumberFormatException e) {
          // not a staging area of this layout: left alone
        }
      }
    }
    try {
      Files.deleteIfExists(staging);
    } catch (DirectoryNotEmptyException e) {
      // other writers' areas, or later checkpoints'
    }
    return deleted;
  }
}
