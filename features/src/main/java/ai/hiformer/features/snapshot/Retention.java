package ai.hiformer.features.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Bounded snapshot folders: keeps the newest {@code keep} complete full versions of a model with their deltas,
 * and deletes older versions and the deltas built on them. Only complete versions (with a manifest) count and
 * only versions older than the kept ones go, so a version a server could be loading (the newest complete one,
 * or the one before it while the newest is being written) is never deleted when {@code keep} ≥ 2.
 */
public final class Retention {
  private static final Pattern VERSION = Pattern.compile("v(\\d{1,18})");
  private static final Pattern DELTA = Pattern.compile("v(\\d{1,18})-d\\d+");

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
    List<long[]> complete = new ArrayList<>(); // version numbers of complete full snapshots
    List<Path> versionDirs = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        Matcher m = VERSION.matcher(p.getFileName().toString());
        if (Files.isDirectory(p) && m.matches()) {
          versionDirs.add(p);
          if (Files.isRegularFile(p.resolve(ModelSnapshot.MANIFEST))) {
            complete.add(new long[] {Long.parseLong(m.group(1))});
          }
        }
      }
    }
    if (complete.size() <= keep) {
      return 0;
    }
    complete.sort(Comparator.comparingLong(v -> -v[0]));
    long oldestKept = complete.get(keep - 1)[0];
    int deleted = 0;
    for (Path p : versionDirs) {
      Matcher m = VERSION.matcher(p.getFileName().toString());
      if (m.matches() && Long.parseLong(m.group(1)) < oldestKept) {
        deleteTree(p);
        deleted++;
      }
    }
    Path deltas = dir.resolve("deltas");
    if (Files.isDirectory(deltas)) {
      try (Stream<Path> s = Files.list(deltas)) {
        for (Path p : s.toList()) {
          Matcher m = DELTA.matcher(p.getFileName().toString());
          if (m.matches() && Long.parseLong(m.group(1)) < oldestKept) {
            deleteTree(p);
            deleted++;
          }
        }
      }
    }
    return deleted;
  }

  private static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }
}
