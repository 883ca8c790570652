package ai.hiformer.cli;

import ai.hiformer.local.chaos.ChaosReport;
import ai.hiformer.local.chaos.ChaosRun;
import ai.hiformer.local.chaos.ChaosSettings;
import ai.hiformer.local.cluster.DashboardPreview;
import ai.hiformer.local.cluster.LocalCluster;
import ai.hiformer.local.cluster.PrometheusServer;
import ai.hiformer.local.embedded.ReplaySource;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;

/**
 * {@code hiformer cluster chaos}: a chaos run on the started cluster ({@link ChaosRun}), its report
 * printed and written as JSON ({@link ChaosReport} documents the keys). Exits 1 when the checker
 * finds an event lost or duplicated, an example not learned exactly once, or a fault the job did
 * not recover from.
 */
final class ChaosAction {
  private ChaosAction() {}

  static int run(LocalCluster cluster, Path root, Options o) throws Exception {
    ChaosSettings settings =
        ChaosSettings.of(o.integer("minutes", 20, 1), o.integer("seed", 1, 0))
            .withRate(o.integer("rate", 200, 1));
    if (o.has("quiet")) {
      settings = settings.quietly();
    }
    if (o.has("replay-time")) {
      settings = settings.withReplayTime();
    }
    Path config =
        Paths.get(o.get("config", root.resolve("conf/job.properties").toString())).toAbsolutePath();
    if (!Files.isRegularFile(config)) {
      throw new Options.UsageException("cluster chaos: --config " + config + " does not exist");
    }
    Path out =
        Paths.get(
            o.get(
                "out",
                cluster
                    .settings()
                    .home()
                    .resolve("chaos/chaos-seed" + settings.seed() + ".json")
                    .toString()));
    var s = cluster.settings();
    if (settings.quiet()) {
      System.out.printf(
          "A control run for %d min at %d events/s, seed %d: no faults%n",
          settings.length().toMinutes(), settings.rate(), settings.seed());
    } else {
      System.out.printf(
          "Chaos for %d min at %d events/s, seed %d: TaskManager kills%s%s and savepoint resumes%n",
          settings.length().toMinutes(),
          settings.rate(),
          settings.seed(),
          s.highAvailability() ? ", JobManager kills" : " (no JobManager kills: start with --ha)",
          s.brokers() >= 3 ? ", broker kills" : " (no broker kills: start with --brokers 3)");
    }
    ReplaySource source = ReplaySource.resolve(null, ReplaySource.syntheticSpec().toString());
    Path dashboard = o.has("dashboard") ? Paths.get(o.get("dashboard", "")).toAbsolutePath() : null;
    // With --dashboard, a real Prometheus scrapes the cluster through the run, and the dashboard's
    // panels are drawn from it at the end (DashboardPreview).
    PrometheusServer prometheus =
        dashboard == null
            ? null
            : new PrometheusServer(cluster.settings().home().resolve("chaos/prometheus"));
    Instant started = Instant.now();
    ChaosReport report;
    try {
      report =
          new ChaosRun(
                  cluster,
                  settings,
                  source,
                  cluster.jobArgs(config, source.specPath(), settings.parallelism()),
                  System.out)
              .run();
      if (prometheus != null) {
        var drawn =
            DashboardPreview.render(
                root.resolve("dashboards/hiformer.json"),
                prometheus::queryRange,
                started,
                Instant.now(),
                dashboard);
        System.out.println("Dashboard: " + dashboard + " " + drawn);
      }
    } finally {
      if (prometheus != null) {
        prometheus.close();
      }
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), report.toJson());
    System.out.print(report.summary());
    System.out.println("Report: " + out);
    return report.passed() ? 0 : 1;
  }
}
