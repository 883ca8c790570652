package ai.hiformer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link in the repository's Markdown reaches something: a file that exists and, where
 * the link names a heading ({@code FILE.md#anchor}), a heading of that file. Docs are moved and
 * sections renamed as the project changes; a link left behind fails here rather than in a reader's
 * hands.
 */
class DocsLinksTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)#\\s]*)(#[^)\\s]+)?\\)");
  private static final Pattern HEADING = Pattern.compile("^#+ (.*)$", Pattern.MULTILINE);

  @Test
  void everyRelativeLinkReachesAFileAndItsHeading() throws IOException {
    List<String> broken = new ArrayList<>();
    int links = 0;
    for (Path doc : markdownFiles()) {
      String text = Files.readString(doc);
      Matcher m = LINK.matcher(text);
      while (m.find()) {
        String target = m.group(1);
        if (target.contains("://") || target.startsWith("mailto:")) {
          continue;
        }
        links++;
        Path file = target.isEmpty() ? doc : doc.getParent().resolve(target).normalize();
        String where = ROOT.relativize(doc) + ": " + m.group();
        if (!Files.exists(file)) {
          broken.add(where + " (no such file)");
        } else if (m.group(2) != null
            && file.toString().endsWith(".md")
            && !anchors(Files.readString(file)).contains(m.group(2).substring(1))) {
          broken.add(where + " (no such heading)");
        }
      }
    }
    assertThat(links).as("relative links found").isGreaterThan(20);
    assertThat(broken).as("broken links").isEmpty();
  }

  /** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces to '-'. */
  static Set<String> anchors(String markdown) {
    Set<String> out = new HashSet<>();
    Matcher h = HEADING.matcher(markdown);
    while (h.find()) {
      out.add(
          h.group(1)
              .strip()
              .toLowerCase(Locale.ROOT)
              .replaceAll("[^\\p{L}\\p{N}_\\- ]", "")
              .replace(' ', '-'));
    }
    return out;
  }

  private static List<Path> markdownFiles() throws IOException {
    try (Stream<Path> all = Files.walk(ROOT)) {
      return all.filter(p -> p.toString().endsWith(".md"))
          .filter(
              p -> !ROOT.relativize(p).toString().matches("(.*/)?(target|node_modules|\\..*)/.*"))
          .toList();
    }
  }

  @Test
  void anchorsFollowGitHubsRule() {
    assertThat(anchors("## The join: keyed by model, in memory\n### `benchmark-stream`'s JSON\n"))
        .containsExactlyInAnyOrder("the-join-keyed-by-model-in-memory", "benchmark-streams-json");
  }
}
