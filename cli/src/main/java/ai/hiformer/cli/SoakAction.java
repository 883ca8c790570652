package ai.hiformer.cli;

import ai.hiformer.local.cluster.LocalCluster;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.soak.SoakReport;
import ai.hiformer.local.soak.SoakRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * {@code hiformer cluster soak}: a soak on the started cluster ({@link SoakRun}); writes {@code
 * soak.csv}, {@code soak.svg} and {@code soak.json} ({@link SoakReport} documents the keys) and
 * exits 1 when a figure grew or shrank beyond its bound.
 */
final class SoakAction {
  private SoakAction() {}

  static int run(LocalCluster cluster, Path root, Options o) throws Exception {
    if (o.has("from-csv")) {
      return fromCsv(Paths.get(o.get("from-csv", "")), o);
    }
    SoakRun.Settings settings =
        SoakRun.Settings.of(o.integer("minutes", 60, 11), o.integer("rate", 1000, 1));
    Path config =
        Paths.get(o.get("config", root.resolve("conf/job.properties").toString())).toAbsolutePath();
    if (!Files.isRegularFile(config)) {
      throw new Options.UsageException("cluster soak: --config " + config + " does not exist");
    }
    Path out =
        Paths.get(o.get("out", cluster.settings().home().resolve("soak").toString()))
            .toAbsolutePath();
    System.out.printf(
        "Soak for %d min at %d events/s, labels on their topic, vocabulary capacity %d with"
            + " turnover; a sample a minute into %s%n",
        settings.minutes(), settings.rate(), settings.capacity(), out.resolve("soak.csv"));
    SoakReport report =
        new SoakRun(
                cluster,
                settings,
                ReplaySource.syntheticSpec(),
                spec -> cluster.jobArgs(config, spec, 2),
                out,
                System.out)
            .run();
    System.out.print(report.summary());
    System.out.println("CSV, plot and JSON in " + out);
    return report.passed() ? 0 : 1;
  }

  /** The report, plot and JSON of a soak's CSV again (beside it, or in --out). */
  private static int fromCsv(Path csv, Options o) throws Exception {
    if (!Files.isRegularFile(csv)) {
      throw new Options.UsageException("cluster soak: --from-csv " + csv + " does not exist");
    }
    Path out =
        Paths.get(o.get("out", csv.toAbsolutePath().getParent().toString())).toAbsolutePath();
    Files.createDirectories(out);
    SoakReport report =
        new SoakReport(
            SoakReport.readCsv(csv),
            o.integer("rate", 1000, 1),
            SoakRun.BASELINE_MINUTE,
            SoakRun.BOUND);
    report.writePlot(out.resolve("soak.svg"));
    new com.fasterxml.jackson.databind.ObjectMapper()
        .writerWithDefaultPrettyPrinter()
        .writeValue(out.resolve("soak.json").toFile(), report.toJson());
    System.out.print(report.summary());
    return report.passed() ? 0 : 1;
  }
}
