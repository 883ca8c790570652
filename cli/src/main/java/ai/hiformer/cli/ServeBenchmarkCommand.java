package ai.hiformer.cli;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.Models;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ScoringServer;
import ai.hiformer.serving.ServedModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code hiformer benchmark-serve}: the scoring server on loopback under a bounded load (each client
 * thread sends a fixed number of requests, then stops), and the time to load a snapshot with
 * 1 million embedding rows.
 */
public final class ServeBenchmarkCommand extends OptionsCommand {
  static final Set<String> VALUED = Set.of("clients", "requests", "rows");
  private static final String SPEC = """
      {"name": "bench", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "tags", "kind": "multi", "max_values": 4},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";

  static final String USAGE = "Usage: hiformer benchmark-serve [--clients 4] [--requests 5000] [--rows 1000000]";

  ServeBenchmarkCommand() {
    super("benchmark-serve", "scoring-server latency and requests/s on loopback; 1M-row snapshot load time", USAGE, VALUED, Set.of());
  }

  @Override
  protected int run(Options o) throws Exception {
    int clients = o.integer("clients", 4, 1);
    int perClient = o.integer("requests", 5000, 1);
    int rows = o.integer("rows", 1_000_000, 1);
    Path root = Files.createTempDirectory("hiformer-serve-bench");
    FeatureSpec spec = FeatureSpec.parse(SPEC);
    Learner learner = new Learner(Models.create(ModelConfig.builder(ModelKind.HIFORMER).build(), spec.layout()),
        OptimizerConfig.defaults());
    EmbeddingTable users = learner.model().tables().get(0);
    users.ensureRow(rows - 1); // a table of `rows` rows (initialised as new rows are)
    FeatureEncoder encoder = new FeatureEncoder(spec, null);
    for (int i = 0; i < 1000; i++) { // a vocabulary for the requests below
      encoder.vocabulary(0).idFor("u" + i, i);
      encoder.vocabulary(1).idFor("i" + i, i);
    }
    Path dir = ModelSnapshot.write(root, "bench", 1, SPEC, LearnerCodec.encode(learner), encoder.stateBytes(),
        learner.model().config().toProperties(), new ModelSnapshot.Position(0, 0, 0));
    long bytes;
    try (var s = Files.list(dir)) {
      bytes = s.mapToLong(p -> p.toFile().length()).sum();
    }
    long[] loadMillis = new long[5];
    for (int i = 0; i < loadMillis.length; i++) {
      long t0 = System.nanoTime();
      ServedModel.load(dir, 1);
      loadMillis[i] = (System.nanoTime() - t0) / 1_000_000;
    }
    Arrays.sort(loadMillis);
    System.out.printf(Locale.ROOT, "snapshot with %,d embedding rows (%,d MB): load + verify median %d ms (5 loads)%n",
        rows, bytes >> 20, loadMillis[2]);

    ModelRegistry registry = new ModelRegistry(root, clients);
    try (ScoringServer server = new ScoringServer(registry, 0, clients, 3600)) {
      HttpClient client = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/score");
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      // Warm-up, then the measured load.
      runLoad(pool, client, uri, clients, Math.min(perClient, 2000));
      long t0 = System.nanoTime();
      long[] latencies = runLoad(pool, client, uri, clients, perClient);
      double seconds = (System.nanoTime() - t0) / 1e9;
      pool.shutdown();
      Arrays.sort(latencies);
      System.out.printf(Locale.ROOT, "%d clients x %,d requests on loopback: %,.0f requests/s; latency p50 %.2f ms, "
          + "p99 %.2f ms, max %.2f ms%n", clients, perClient, latencies.length / seconds,
          latencies[latencies.length / 2] / 1e6, latencies[(int) (latencies.length * 0.99)] / 1e6,
          latencies[latencies.length - 1] / 1e6);
    }
    return 0;
  }

  private static long[] runLoad(ExecutorService pool, HttpClient client, URI uri, int clients, int perClient)
      throws Exception {
    Future<?>[] futures = new Future<?>[clients];
    long[][] lat = new long[clients][perClient];
    for (int c = 0; c < clients; c++) {
      int id = c;
      futures[c] = pool.submit(() -> {
        for (int i = 0; i < perClient; i++) {
          int u = (id * 7919 + i) % 1000;
          String body = String.format("{\"modelId\": \"bench\", \"requestId\": \"%d-%d\", \"features\": {\"user\": "
              + "\"u%d\", \"item\": \"i%d\", \"tags\": [\"a\", \"b\"], \"price\": %d}}", id, i, u, (u * 31) % 1000, i % 50);
          HttpRequest r = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build();
          long t = System.nanoTime();
          HttpResponse<String> resp = client.send(r, HttpResponse.BodyHandlers.ofString());
          lat[id][i] = System.nanoTime() - t;
          if (resp.statusCode() != 200) {
            throw new IllegalStateException("status " + resp.statusCode() + ": " + resp.body());
          }
        }
        return null;
      });
    }
    for (Future<?> f : futures) {
      f.get();
    }
    return Arrays.stream(lat).flatMapToLong(Arrays::stream).toArray();
  }
}
