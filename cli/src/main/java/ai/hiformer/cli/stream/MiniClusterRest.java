package ai.hiformer.cli.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Paths;

/** What the benchmark reads from a MiniCluster's REST API: checkpoint statistics and details. */
public final class MiniClusterRest {
  private MiniClusterRest() {}

  /** A port free now, for a MiniCluster's REST endpoint. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** GET {@code path} on the REST API at {@code port}, as JSON. */
  public static JsonNode get(int port, String path) throws Exception {
    var response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    return new ObjectMapper().readTree(response.body());
  }

  /**
   * Writes a job's checkpoint history ({@code NAME-checkpoints.json}), its vertices ({@code
   * NAME-vertices.json}), and per operator (barrier delay, sync/async time, in-flight data) the
   * details of each checkpoint slower than {@code --trace-slow-ms} (1000; {@code
   * NAME-slow-checkpoints.json}).
   */
  public static void writeCheckpointTrace(int port, String jobId, JsonNode history, String name)
      throws Exception {
    Files.writeString(Paths.get(name + "-checkpoints.json"), history.toString());
    long slowMillis = BenchmarkHooks.traceSlowMillis();
    ArrayNode details = new ObjectMapper().createArrayNode();
    for (var c : history.path("history")) {
      if (c.path("end_to_end_duration").asLong() > slowMillis) {
        String base = "/jobs/" + jobId + "/checkpoints/details/" + c.path("id").asLong();
        ObjectNode detail = (ObjectNode) get(port, base);
        ObjectNode subtasks = detail.putObject("subtasks_by_vertex");
        detail
            .path("tasks")
            .fieldNames()
            .forEachRemaining(
                v -> {
                  try {
                    subtasks.set(v, get(port, base + "/subtasks/" + v));
                  } catch (Exception e) {
                    subtasks.put(v, e.toString());
                  }
                });
        details.add(detail);
      }
    }
    Files.writeString(Paths.get(name + "-slow-checkpoints.json"), details.toString());
    Files.writeString(Paths.get(name + "-vertices.json"), get(port, "/jobs/" + jobId).toString());
  }
}
