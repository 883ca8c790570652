package ai.hiformer.features;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the licensed datasets live: system property {@code hiformer.data.dir}, else the environment
 * variable {@code HIFORMER_DATA_DIR}, else {@code ../shared/data}. They are never copied into the
 * repo.
 *
 * <p>Under Maven the root pom passes {@code hiformer.data.dir}: {@code ../shared/data} beside the
 * checkout, or {@code HIFORMER_DATA_DIR} when that variable is set, or what {@code
 * -Dhiformer.data.dir=...} says. A missing dataset skips the test with a message, unless {@code
 * -Dhiformer.requireData=true}: then it fails, so that a wrong path cannot pass as a green run (CI
 * sets it when the data folder exists).
 */
public final class SharedData {
  private SharedData() {}

  public static Path dir() {
    String p = System.getProperty("hiformer.data.dir");
    if (p == null || p.isBlank()) {
      p = System.getenv("HIFORMER_DATA_DIR");
    }
    if (p == null || p.isBlank()) {
      p = "../shared/data";
    }
    return Paths.get(p).toAbsolutePath().normalize();
  }

  /**
   * Whether a missing dataset is a failure rather than a skip ({@code
   * -Dhiformer.requireData=true}).
   */
  public static boolean required() {
    return Boolean.parseBoolean(System.getProperty("hiformer.requireData", "false"));
  }

  /**
   * The dataset folder; when it is absent the test is skipped with a message that says what is
   * missing and why, or fails with that message when {@link #required()}.
   */
  public static Path require(String dataset) {
    Path d = dir().resolve(dataset);
    if (!Files.isDirectory(d)) {
      String why =
          "dataset '"
              + dataset
              + "' not found at "
              + d
              + ". Its licence forbids shipping it; download it as README.md explains and point -Dhiformer.data.dir"
              + " (or HIFORMER_DATA_DIR) at the folder that holds it.";
      if (required()) {
        throw new AssertionError("hiformer.requireData=true and " + why);
      }
      Assumptions.abort("SKIPPED: " + why);
    }
    return d;
  }

  /** A shipped spec: {@code specs/NAME} of the repo. */
  public static Path spec(String name) {
    return repoFile("specs/" + name);
  }

  /** A file of the repo by its path from the root (tests run in a module's folder). */
  public static Path repoFile(String path) {
    Path here = Paths.get("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      Path s = p.resolve(path);
      if (Files.exists(s)) {
        return s;
      }
    }
    throw new IllegalStateException(path + " not found above " + here);
  }
}
