package ai.hiformer.features.snapshot;

import ai.hiformer.features.io.Folders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Bounded snapshot folders: keeps the newest {@code keep} complete full versions of a model with
 * their deltas, and deletes older versions and the deltas built on them. Only complete versions
 * (with a manifest) count and only versions older than the kept ones go, so a version a server
 * could be loading (the newest complete one, or the one before it while the newest is being
 * written) is never deleted when {@code keep} ≥ 2, nor is a version a rollback pinned ({@link
 * ServingPin}).
 */
public final class Retention {
  private Retention() {}

  /**
   * Prunes {@code root/modelId}.
   *
   * @return how many version and delta directories were deleted
   */
  public static int prune(Path root, String modelId, int keep) throws IOException {
    if (keep < 2) {
      throw new IllegalArgumentException("invalid snapshot.keep = " + keep + "; allowed: >= 2");
    }
    Path dir = root.resolve(modelId);
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    List<Long> complete = new ArrayList<>(); // versions of complete full snapshots
    List<Path> versionDirs = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        if (Files.isDirectory(p) && ModelSnapshot.versionOf(p) >= 0) {
          versionDirs.add(p);
          if (Files.isRegularFile(p.resolve(ModelSnapshot.MANIFEST))) {
            complete.add(ModelSnapshot.versionOf(p));
          }
        }
      }
    }
    if (complete.size() <= keep) {
      return 0;
    }
    complete.sort(Comparator.reverseOrder());
    long oldestKept = complete.get(keep - 1);
    long pinned = pinnedVersion(root, modelId);
    int deleted = 0;
    for (Path p : versionDirs) {
      if (ModelSnapshot.versionOf(p) < oldestKept && ModelSnapshot.versionOf(p) != pinned) {
        Folders.deleteTree(p);
        deleted++;
      }
    }
    Path deltas = dir.resolve("deltas");
    if (Files.isDirectory(deltas)) {
      try (Stream<Path> s = Files.list(deltas)) {
        for (Path p : s.toList()) {
          long base = ModelDelta.baseVersionOf(p);
          if (base >= 0 && base < oldestKept) {
            Folders.deleteTree(p);
            deleted++;
          }
        }
      }
    }
    return deleted;
  }

  /** The version a rollback pinned (kept whatever its age), or -1. */
  private static long pinnedVersion(Path root, String modelId) {
    try {
      return ServingPin.read(root, modelId).orElse(-1);
    } catch (IOException e) {
      return -1; // an unreadable pin pins nothing; servers report it
    }
  }
}
