package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot reload under concurrent HTTP requests: while new versions are swapped in, every response
 * succeeds and carries exactly the score its version gives (no failed and no mixed-version
 * response).
 */
class HotReloadTest {
  private static final int VERSIONS = 5;
  private static final int EVENT = 17;

  /** Responses each version gives before the next is published. */
  private static final int RESPONSES_PER_VERSION = 50;

  @TempDir Path root;

  @Test
  void everyResponseDuringReloadsIsWholeAndFromOneVersion() throws Exception {
    Snapshots s = new Snapshots();
    // The expected score of every version, computed on each snapshot alone.
    Map<Long, Double> expected = new ConcurrentHashMap<>();
    Path staging = root.resolve("staging");
    for (int v = 1; v <= VERSIONS; v++) {
      Path dir = s.nextVersion(staging);
      ServedModel alone = ServedModel.load(dir, 1);
      expected.put(
          alone.version(),
          alone
              .score(
                  ai.hiformer.features.io.JsonLinesReader.of(
                      new ObjectMapper().readTree(Snapshots.features(EVENT)), "t"))
              .get("click"));
    }
    assertThat(expected.values().stream().distinct().count()).isEqualTo(VERSIONS);
    Path live = root.resolve("live");
    java.nio.file.Files.createDirectories(live.resolve("m"));
    copy(staging.resolve("m").resolve("v000000000001"), live.resolve("m").resolve("v000000000001"));

    ModelRegistry registry = new ModelRegistry(live, 4);
    try (ScoringServer server =
        new ScoringServer(
            registry,
            ServerOptions.builder()
                .set(ServerOptions.PORT, 0)
                .set(ServerOptions.THREADS, 4)
                .build(),
            3600)) {
      HttpClient client = HttpClient.newHttpClient();
      String body =
          "{\"modelId\": \"m\", \"requestId\": \"x\", \"features\": "
              + Snapshots.features(EVENT)
              + "}";
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/score"))
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build();
      AtomicBoolean stop = new AtomicBoolean();
      List<String> problems = new CopyOnWriteArrayList<>();
      Map<Long, Integer> seen = new ConcurrentHashMap<>();
      ExecutorService clients = Executors.newFixedThreadPool(4);
      List<Future<?>> running = new java.util.ArrayList<>();
      for (int c = 0; c < 4; c++) {
        running.add(
            clients.submit(
                () -> {
                  ObjectMapper json = new ObjectMapper();
                  int sent = 0;
                  while (!stop.get() && sent++ < 20_000) {
                    try {
                      HttpResponse<String> r =
                          client.send(request, HttpResponse.BodyHandlers.ofString());
                      if (r.statusCode() != 200) {
                        problems.add("status " + r.statusCode() + ": " + r.body());
                        continue;
                      }
                      JsonNode n = json.readTree(r.body());
                      long version = n.get("modelVersion").asLong();
                      double p = n.get("scores").get("click").asDouble();
                      if (p != expected.get(version)) {
                        problems.add(
                            "version "
                                + version
                                + " answered "
                                + p
                                + ", expected "
                                + expected.get(version));
                      }
                      seen.merge(version, 1, Integer::sum);
                    } catch (Exception e) {
                      problems.add(e.toString());
                    }
                  }
                  return null;
                }));
      }
      // Paced by responses, not by time: each swap waits until the clients have been answered by
      // the version before it (or have stopped, which fails below), so every version serves while
      // the next one loads.
      for (int v = 2; v <= VERSIONS + 1; v++) {
        long previous = v - 1L;
        while (seen.getOrDefault(previous, 0) < RESPONSES_PER_VERSION
            && running.stream().noneMatch(Future::isDone)) {
          Thread.sleep(1);
        }
        if (v <= VERSIONS) {
          String name = String.format("v%012d", v);
          copy(staging.resolve("m").resolve(name), live.resolve("m").resolve(name));
          registry.refresh();
        }
      }
      stop.set(true);
      for (Future<?> f : running) {
        f.get();
      }
      clients.shutdown();
      assertThat(problems).isEmpty();
      assertThat(registry.model("m").orElseThrow().version()).isEqualTo(VERSIONS);
      for (long v = 1; v <= VERSIONS; v++) {
        assertThat(seen.getOrDefault(v, 0))
            .as("responses from version %d", v)
            .isGreaterThanOrEqualTo(RESPONSES_PER_VERSION);
      }
    }
  }

  /**
   * Copies a snapshot the way a writer publishes one: into a temporary name, then an atomic rename.
   */
  private static void copy(Path from, Path to) throws Exception {
    Path tmp = to.resolveSibling(".tmp-" + to.getFileName());
    java.nio.file.Files.createDirectories(tmp);
    try (var s = java.nio.file.Files.list(from)) {
      for (Path f : s.toList()) {
        java.nio.file.Files.copy(f, tmp.resolve(f.getFileName()));
      }
    }
    java.nio.file.Files.move(tmp, to, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
