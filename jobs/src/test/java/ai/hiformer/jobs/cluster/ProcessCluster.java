package ai.hiformer.jobs.cluster;

import ai.hiformer.local.cluster.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The process cluster a test class runs on, as a JUnit extension: started with the job's topics
 * before the class's {@code @BeforeAll} methods, in a fresh folder under /tmp; stopped after its
 * tests, and the folder deleted unless {@code -Dhiformer.keepCluster=true} keeps it for its logs.
 * When a test fails, the warnings and errors of every process's log are printed with it, so that a
 * run on a machine whose /tmp is gone afterwards (CI) still says what the cluster went through.
 */
final class ProcessCluster
    implements BeforeAllCallback, AfterAllCallback, AfterTestExecutionCallback {
  /** The most lines of one log printed after a failure: its last warnings and errors. */
  private static final int LOG_LINES = 40;

  private final int brokers;
  private final boolean highAvailability;
  private Path home;
  private LocalCluster cluster;

  /**
   * @param brokers Kafka brokers, each its own process
   * @param highAvailability two JobManagers electing their leader in ZooKeeper
   */
  ProcessCluster(int brokers, boolean highAvailability) {
    this.brokers = brokers;
    this.highAvailability = highAvailability;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    String test = context.getRequiredTestClass().getSimpleName();
    home = Files.createTempDirectory(Paths.get("/tmp"), "hiformer-" + test);
    cluster = ClusterTestKit.startClusterWithTopics(home, brokers, highAvailability);
  }

  @Override
  public void afterTestExecution(ExtensionContext context) throws IOException {
    if (context.getExecutionException().isEmpty() || cluster == null) {
      return;
    }
    System.out.println(
        "=== "
            + context.getDisplayName()
            + " failed; the cluster's warnings and errors, last "
            + LOG_LINES
            + " of each log:");
    try (Stream<Path> logs = Files.list(cluster.settings().logs())) {
      for (Path log : logs.sorted().toList()) {
        List<String> lines =
            Files.readAllLines(log, java.nio.charset.StandardCharsets.UTF_8).stream()
                .filter(
                    l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("Exception"))
                .toList();
        System.out.println("--- " + log.getFileName() + " (" + lines.size() + " such lines)");
        lines
            .subList(Math.max(0, lines.size() - LOG_LINES), lines.size())
            .forEach(System.out::println);
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    ClusterTestKit.stopAndDelete(cluster, home, context.getRequiredTestClass().getSimpleName());
  }

  /** The started cluster. */
  LocalCluster get() {
    return cluster;
  }

  /** Client properties that reach the cluster's brokers. */
  java.util.Properties clientProperties() {
    java.util.Properties p = new java.util.Properties();
    p.put("bootstrap.servers", cluster.settings().bootstrapServers());
    return p;
  }

  /**
   * A metric of {@code jobId} from the REST API, aggregated over the subtasks that report it
   * ({@code agg}: sum, max, ...): the first whose id {@code matches}, searching the job's vertices
   * in order; empty if none reports it yet.
   */
  java.util.OptionalDouble metric(
      String jobId, java.util.function.Predicate<String> matches, String agg) throws Exception {
    for (var v : cluster.rest("/jobs/" + jobId).path("vertices")) {
      String base = "/jobs/" + jobId + "/vertices/" + v.path("id").asText() + "/subtasks/metrics";
      for (var m : cluster.rest(base)) {
        String id = m.path("id").asText();
        if (matches.test(id)) {
          String query =
              "?get=" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8);
          return java.util.OptionalDouble.of(
              cluster.rest(base + query + "&agg=" + agg).get(0).path(agg).asDouble());
        }
      }
    }
    return java.util.OptionalDouble.empty();
  }

  /** The cluster's folder: its processes' files and logs. */
  Path home() {
    return home;
  }
}
