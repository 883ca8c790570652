package ai.hiformer.jobs.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Prometheus (Debian's {@code /usr/bin/prometheus}, which .ci/run installs) scraping the
 * local cluster's Flink reporters (ports 9249–9269, as FlinkConfigFile sets them) every second, for
 * the dashboard's test.
 */
final class PrometheusServer implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/bin/prometheus");

  private final Process process;
  private final int port;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  PrometheusServer(Path dir) throws IOException {
    List<String> targets = new ArrayList<>();
    for (int p = 9249; p <= 9269; p++) {
      targets.add("\"localhost:" + p + "\"");
    }
    Files.createDirectories(dir);
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: flink\n"
            + "    static_configs:\n      - targets: ["
            + String.join(", ", targets)
            + "]\n");
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    process =
        new ProcessBuilder(
                BINARY.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
  }

  /** The result vector of an instant query (empty when no series matched or on an error). */
  JsonNode query(String expr) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + port
                        + "/api/v1/query?query="
                        + URLEncoder.encode(expr, StandardCharsets.UTF_8)))
            .timeout(Duration.ofSeconds(5))
            .build();
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      JsonNode body = json.readTree(r.body());
      return body.path("data").path("result");
    } catch (IOException e) {
      return json.createArrayNode(); // not up yet
    }
  }

  @Override
  public void close() {
    process.destroy();
  }
}
