package ai.hiformer.local.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The commands' defaults (the shipped specs, the data beside the project) resolve against the
 * project's root that {@code ./hiformer} passes, not the working directory: this module's tests run
 * in {@code local/}, where {@code specs/} does not exist.
 */
class ReplaySourceTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

  @AfterEach
  void clearRoot() {
    System.clearProperty("hiformer.root");
  }

  @Test
  void theDefaultSpecsResolveAgainstTheProjectRootFromAnyWorkingDirectory() throws Exception {
    assertThat(Paths.get("specs")).as("this test runs outside the project root").doesNotExist();
    System.setProperty("hiformer.root", ROOT.toString());

    ReplaySource byDefault = ReplaySource.resolve(null, null);
    assertThat(byDefault.specPath())
        .isEqualTo(
            byDefault.synthetic()
                ? ROOT.resolve("specs/synthetic.json")
                : ROOT.resolve("specs/movielens.json"));
    assertThat(ReplaySource.defaultData())
        .isEqualTo(ROOT.resolveSibling("shared/data/movielens-100k"));
    assertThat(byDefault.synthetic()).isEqualTo(!Files.isDirectory(ReplaySource.defaultData()));

    ReplaySource generated = ReplaySource.resolve(null, ReplaySource.syntheticSpec().toString());
    assertThat(generated.synthetic()).isTrue();
    assertThat(generated.spec().name()).isEqualTo(ReplaySource.SYNTHETIC_NAME);
  }
}
