package ai.hiformer.cli;

import ai.hiformer.features.snapshot.ServingPin;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;

/**
 * {@code hiformer rollback --snapshots DIR --model ID --version N}: servers reading DIR serve
 * version N of the model (without deltas) until {@code --release}; see {@link ServingPin}.
 */
public final class RollbackCommand extends OptionsCommand {
  static final Set<String> VALUED = Set.of("snapshots", "model", "version");
  static final Set<String> FLAGS = Set.of("release");

  static final String USAGE =
      """
      Usage: hiformer rollback --snapshots DIR --model ID (--version N | --release)
        --version N  servers following DIR serve the full snapshot vN of model ID, without deltas, until released;
                     the version must be complete and load (checked first), and retention keeps it
        --release    back to the newest version (and its deltas)
      Servers pick the change up at their next reload (serve --reload-seconds).""";

  RollbackCommand() {
    super(
        "rollback",
        "pin serving to a named snapshot version, or release the pin",
        USAGE,
        VALUED,
        FLAGS);
  }

  @Override
  protected int run(Options o) throws Exception {
    Path root = Paths.get(o.required("snapshots"));
    String model = o.required("model");
    if (o.bool("release", false) == o.has("version")) {
      throw new Options.UsageException("rollback: give either --version N or --release");
    }
    if (o.bool("release", false)) {
      boolean had = ServingPin.release(root, model);
      System.out.println(
          had
              ? "Released: servers go back to the newest version of " + model
              : "No pin for " + model + ": servers already follow the newest version");
      return 0;
    }
    long version = o.integer("version", 0, 1);
    try {
      ServingPin.pin(root, model, version);
    } catch (java.io.IOException e) {
      throw new Options.UsageException("rollback: " + e.getMessage());
    }
    System.out.println(
        "Pinned "
            + model
            + " to version "
            + version
            + " ("
            + root.resolve(model)
            + "/"
            + ServingPin.FILE
            + ")");
    return 0;
  }
}
