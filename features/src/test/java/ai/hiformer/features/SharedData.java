package ai.hiformer.features;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the licensed datasets live: system property {@code hiformer.data.dir}, else the environment
 * variable {@code HIFORMER_DATA_DIR}, else {@code ../shared/data}. They are never copied into the repo.
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

  /** The dataset folder, or the test is skipped with a message that says what is missing and why. */
  public static Path require(String dataset) {
    Path d = dir().resolve(dataset);
    Assumptions.assumeTrue(Files.isDirectory(d), () -> "SKIPPED: dataset '" + dataset + "' not found at " + d
        + ". Its licence forbids shipping it; download it as README.md explains and point -Dhiformer.data.dir"
        + " (or HIFORMER_DATA_DIR) at the folder that holds it.");
    return d;
  }

  /** The repo's specs folder. */
  public static Path spec(String name) {
    Path here = Paths.get("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      Path s = p.resolve("specs").resolve(name);
      if (Files.exists(s)) {
        return s;
      }
    }
    throw new IllegalStateException("specs/" + name + " not found above " + here);
  }
}
