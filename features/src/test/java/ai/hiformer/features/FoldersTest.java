package ai.hiformer.features;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.Folders;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FoldersTest {

  @Test
  void aNestedTreeGoesWholeAndItsSiblingStays(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("root");
    Files.createDirectories(root.resolve("a/b/c"));
    Files.writeString(root.resolve("a/b/c/leaf.bin"), "x");
    Files.writeString(root.resolve("a/top.txt"), "y");
    Path sibling = Files.writeString(dir.resolve("sibling.txt"), "z");

    Folders.deleteTree(root);

    assertThat(root).doesNotExist();
    assertThat(sibling).exists();
  }

  @Test
  void aLinkInsideIsRemovedAndWhatItPointsToStays(@TempDir Path dir) throws Exception {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Path kept = Files.writeString(outside.resolve("kept.txt"), "k");
    Path root = Files.createDirectories(dir.resolve("root"));
    Files.createSymbolicLink(root.resolve("link"), outside);

    Folders.deleteTree(root);

    assertThat(root).doesNotExist();
    assertThat(kept).exists();
  }

  @Test
  void aMissingFolderIsNothingToDo(@TempDir Path dir) throws Exception {
    Folders.deleteTree(dir.resolve("never-made"));
    Folders.deleteTreeQuietly(dir.resolve("never-made"), "test");
    assertThat(dir).exists();
  }
}
