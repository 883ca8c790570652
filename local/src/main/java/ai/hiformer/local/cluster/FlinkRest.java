package ai.hiformer.local.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What a local cluster reads from the JobManager's REST API: TaskManagers, job states, checkpoints.
 * With two JobManagers (high availability) either one answers (a standby asks the leader), so a
 * request goes to the first that is up.
 */
public final class FlinkRest {
  private final int[] ports;
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /**
   * @param ports the JobManagers' REST ports, tried in this order
   */
  public FlinkRest(int... ports) {
    if (ports.length == 0) {
      throw new IllegalArgumentException("no REST port");
    }
    this.ports = ports.clone();
  }

  /** Waits until exactly {@code n} TaskManagers are registered with the JobManager. */
  public void awaitTaskManagers(int n, Duration timeout, Path logs)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen = -1;
    while (System.nanoTime() < deadline) {
      try {
        seen = rest("/overview").path("taskmanagers").asInt(-1);
        if (seen == n) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(500);
    }
    throw new IOException(
        "expected "
            + n
            + " TaskManagers within "
            + timeout.toSeconds()
            + " s, saw "
            + seen
            + "; see the logs in "
            + logs);
  }

  /** The numbers of the TaskManagers that run some of the job's tasks now. */
  public java.util.SortedSet<Integer> taskManagersOf(String jobId) throws IOException {
    java.util.SortedSet<Integer> out = new java.util.TreeSet<>();
    for (JsonNode vertex : rest("/jobs/" + jobId).path("vertices")) {
      for (JsonNode tm :
          rest("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/taskmanagers")
              .path("taskmanagers")) {
        String id = tm.path("taskmanager-id").asText();
        if (id.startsWith("taskmanager-")) {
          out.add(Integer.parseInt(id.substring("taskmanager-".length())));
        }
      }
    }
    return out;
  }

  /** A job's state as the REST API reports it (RUNNING, RESTARTING, FINISHED, ...). */
  public String jobState(String jobId) throws IOException {
    return rest("/jobs/" + jobId).path("state").asText();
  }

  /** The job's checkpoint statistics ({@code /jobs/<id>/checkpoints}). */
  public JsonNode checkpoints(String jobId) throws IOException {
    return rest("/jobs/" + jobId + "/checkpoints");
  }

  /** GETs a path of the JobManager's REST API and parses the JSON answer. */
  public JsonNode rest(String path) throws IOException {
    IOException failed = null;
    for (int port : ports) {
      try {
        return rest(port, path);
      } catch (IOException e) {
        // This JobManager is down, or a standby without a leader to ask (503): try the next.
        failed = e;
      }
    }
    throw failed;
  }

  private JsonNode rest(int port, String path) throws IOException {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build();
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException("GET " + path + " answered " + r.statusCode() + ": " + r.body());
      }
      return json.readTree(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
