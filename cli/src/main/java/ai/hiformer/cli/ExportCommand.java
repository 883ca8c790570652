package ai.hiformer.cli;

import ai.hiformer.jobs.stream.SavepointExport;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

/**
 * {@code hiformer export --savepoint PATH --out DIR}: serving snapshots from the job's savepoint.
 */
public final class ExportCommand extends OptionsCommand {
  static final Set<String> VALUED = Set.of("savepoint", "out");

  static final String USAGE =
      "Usage: hiformer export --savepoint PATH --out DIR\n"
          + "  Reads every model from a savepoint of the streaming job (or a retained checkpoint of a job without\n"
          + "  changelog checkpoints, which Flink's state reader cannot read) and writes one serving snapshot per\n"
          + "  model id under DIR, as the job itself would.";

  ExportCommand() {
    super(
        "export",
        "serving snapshots from a savepoint of the job (--savepoint PATH --out DIR)",
        USAGE,
        VALUED,
        Set.of());
  }

  @Override
  protected int run(Options o) throws Exception {
    String savepoint = o.required("savepoint");
    Path out = Paths.get(o.required("out"));
    List<Path> written = SavepointExport.export(savepoint, out);
    System.out.println("Exported " + written.size() + " model(s):");
    written.forEach(p -> System.out.println("  " + p));
    return 0;
  }
}
