package ai.hiformer.local;

import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where the project is: the root that {@code ./hiformer} passes ({@code hiformer.root}), else the
 * working directory. What ships with the project ({@code specs/}, {@code conf/}) or sits beside it
 * ({@code ../shared/data}) resolves against it, so that the commands' defaults work from any
 * working directory; paths a user passes stay relative to the working directory.
 */
public final class ProjectRoot {
  private ProjectRoot() {}

  /** The root, absolute. */
  public static Path path() {
    return Paths.get(System.getProperty("hiformer.root", ".")).toAbsolutePath().normalize();
  }

  /** {@code relative} under the root (or beside it, for {@code ../}), absolute. */
  public static Path resolve(String relative) {
    return path().resolve(relative).normalize();
  }
}
