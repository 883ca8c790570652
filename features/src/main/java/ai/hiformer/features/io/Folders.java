package ai.hiformer.features.io;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Folder housekeeping shared by snapshots, the benchmarks and the tests. */
public final class Folders {
  private Folders() {}

  /**
   * Deletes {@code root} and everything under it, each folder after its contents. What is already
   * gone (a missing {@code root}, or files another process deletes while this walks, such as a
   * cancelled Flink job removing its own checkpoints) is skipped, not an error. Symbolic links are
   * deleted, not followed.
   *
   * @throws IOException when something that exists cannot be deleted (for example a folder another
   *     process keeps writing into)
   */
  public static void deleteTree(Path root) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null && !(e instanceof NoSuchFileException)) {
              throw e;
            }
            Files.deleteIfExists(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /**
   * {@link #deleteTree} for clean-ups that must not fail the work they follow: a failure is printed
   * to standard error with {@code who} and the folder, and otherwise ignored.
   */
  public static void deleteTreeQuietly(Path root, String who) {
    try {
      deleteTree(root);
    } catch (IOException e) {
      System.err.println(who + ": could not remove " + root + ": " + e);
    }
  }
}
