package ai.hiformer.local.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A real Prometheus (Debian's {@code /usr/bin/prometheus}, which .ci/run installs) scraping the
 * local cluster's Flink reporters (ports 9249–9269, as FlinkConfigFile sets them) every second: for
 * the dashboard's test and its preview ({@link DashboardPreview}).
 */
public final class PrometheusServer implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/prometheus");

  /** One series of a range query: its labels and its points (epoch seconds, value). */
  public record Series(Map<String, String> labels, double[] times, double[] values) {}

  private final Process process;
  private final int port;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  /** Starts Prometheus with its configuration and data under {@code dir}. */
  public PrometheusServer(Path dir) throws IOException {
    if (!Files.isExecutable(BINARY)) {
      throw new IOException("no " + BINARY + " (Debian: apt-get install prometheus)");
    }
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
    port = Processes.freeLoopbackPort();
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
  public JsonNode query(String expr) throws IOException, InterruptedException {
    return get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
  }

  /**
   * The series of {@code expr} from {@code start} to {@code end}, a point every {@code step} (empty
   * when no series matched or on an error).
   */
  public List<Series> queryRange(String expr, Instant start, Instant end, Duration step)
      throws IOException, InterruptedException {
    JsonNode result =
        get(
            "/api/v1/query_range?query="
                + URLEncoder.encode(expr, StandardCharsets.UTF_8)
                + "&start="
                + start.getEpochSecond()
                + "&end="
                + wholeSecondAtOrAfter(end)
                + "&step="
                + Math.max(1, step.toSeconds()));
    List<Series> out = new ArrayList<>();
    for (JsonNode s : result) {
      Map<String, String> labels = new TreeMap<>();
      s.path("metric")
          .fields()
          .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      JsonNode points = s.path("values");
      double[] times = new double[points.size()];
      double[] values = new double[points.size()];
      for (int i = 0; i < points.size(); i++) {
        times[i] = points.get(i).get(0).asDouble();
        values[i] = number(points.get(i).get(1).asText());
      }
      out.add(new Series(labels, times, values));
    }
    return out;
  }

  /**
   * {@code t} rounded up to a whole second. The API takes whole seconds here, and a range ends at
   * its last point: an end rounded down could fall before an instant query just answered with data,
   * so a series that had only just begun (a rate's second scrape) would draw nothing.
   */
  static long wholeSecondAtOrAfter(Instant t) {
    return t.getNano() == 0 ? t.getEpochSecond() : t.getEpochSecond() + 1;
  }

  /** A sample value as Prometheus writes it: a decimal, "NaN", "+Inf" or "-Inf". */
  static double number(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text); // "NaN" included
    };
  }

  private JsonNode get(String pathAndQuery) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
            .timeout(Duration.ofSeconds(10))
            .build();
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      return json.readTree(r.body()).path("data").path("result");
    } catch (IOException e) {
      return json.createArrayNode(); // not up yet
    }
  }

  @Override
  public void close() {
    process.destroy();
  }
}
