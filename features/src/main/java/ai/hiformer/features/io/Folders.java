package ai.hiformer.features.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Folder housekeeping shared by snapshots, the benchmarks and the tests. */
public final class Folders {
  private Folders() {}

  /**
   * Deletes {@code root} and everything under it, deepest first; a missing {@code root} is nothing to do.
   *
   * @throws IOException when a file cannot be deleted or the tree cannot be walked (for example because another
   *     process is writing into it)
   */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    List<Path> deepestFirst;
    try (Stream<Path> paths = Files.walk(root)) {
      deepestFirst = paths.sorted(Comparator.reverseOrder()).toList();
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
    for (Path p : deepestFirst) {
      Files.deleteIfExists(p);
    }
  }

  /**
   * {@link #deleteTree} for clean-ups that must not fail the work they follow: a failure is printed to standard
   * error with {@code who} and the folder, and otherwise ignored.
   */
  public static void deleteTreeQuietly(Path root, String who) {
    try {
      deleteTree(root);
    } catch (IOException e) {
      System.err.println(who + ": could not remove " + root + ": " + e);
    }
  }
}
