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
import ai.hiformer.serving.JdkScoringServer;
import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ScoringServer;
import ai.hiformer.serving.ServedModel;
import ai.hiformer.serving.ServerOptions;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code hiformer benchmark-serve}: the scoring server on loopback under a bounded load (each
 * client thread sends a fixed number of requests, then stops), and the time to load a snapshot with
 * 1 million embedding rows.
 */
public final class ServeBenchmarkCommand extends OptionsCommand {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Set<String> VALUED =
      Set.of("clients", "requests", "rows", "rounds", "batch", "json", "server-threads");
  private static final String SPEC =
      """
      {"name": "bench", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "tags", "kind": "multi", "max_values": 4},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";

  static final String USAGE =
      """
      Usage: hiformer benchmark-serve [--clients 4] [--requests 5000] [--batch 256] [--rounds 3] [--rows 1000000]
                                      [--json benchmark-serve.json]
        Loads a snapshot with --rows embedding rows (timed), then measures the scoring server (Netty) and the JDK
        server baseline over the same API, alternating, --rounds times: --clients keep-alive connections each
        sending --requests single-event requests, then batch requests of --batch events. Prints medians and
        writes them to --json (keys documented in docs/BENCHMARKS.md).""";

  ServeBenchmarkCommand() {
    super(
        "benchmark-serve",
        "scoring-server latency and requests/s on loopback; 1M-row snapshot load time",
        USAGE,
        VALUED,
        Set.of());
  }

  @Override
  protected int run(Options o) throws Exception {
    int clients = o.integer("clients", 4, 1);
    int perClient = o.integer("requests", 5000, 1);
    int rows = o.integer("rows", 1_000_000, 1);
    Path root = Files.createTempDirectory("hiformer-serve-bench");
    FeatureSpec spec = FeatureSpec.parse(SPEC);
    Learner learner =
        new Learner(
            Models.create(ModelConfig.builder(ModelKind.HIFORMER).build(), spec.layout()),
            OptimizerConfig.defaults());
    EmbeddingTable users = learner.model().tables().get(0);
    users.ensureRow(
        Math.max(rows, 1001) - 1); // a table of `rows` rows (initialised as new rows are)
    learner
        .model()
        .tables()
        .get(1)
        .ensureRow(1000); // every id the item vocabulary below hands out has its row
    FeatureEncoder encoder = new FeatureEncoder(spec, null);
    for (int i = 0; i < 1000; i++) { // a vocabulary for the requests below
      encoder.vocabulary(0).idFor("u" + i, i);
      encoder.vocabulary(1).idFor("i" + i, i);
    }
    Path dir =
        ModelSnapshot.write(
            root,
            "bench",
            1,
            SPEC,
            LearnerCodec.encode(learner),
            encoder.stateBytes(),
            learner.model().config().toProperties(),
            new ModelSnapshot.Position(0, 0, 0));
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
    System.out.printf(
        Locale.ROOT,
        "snapshot with %,d embedding rows (%,d MB): load + verify median %d ms (5 loads)%n",
        rows,
        bytes >> 20,
        loadMillis[2]);

    // Both servers answer through the same ScoringApi over the same snapshot; rounds alternate
    // between them so
    // that drift in this shared machine's speed falls on both alike.
    int rounds = o.integer("rounds", 3, 1);
    int serverThreads =
        o.integer("server-threads", Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 1);
    int batchSize = o.integer("batch", 256, 1);
    int batchRequests = Math.max(10, perClient / 50);
    String[] servers = {"jdk", "netty"};
    Map<String, List<HttpLoad.Result>> singles = new LinkedHashMap<>();
    Map<String, List<HttpLoad.Result>> batches = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      for (String server : servers) {
        ModelRegistry registry = new ModelRegistry(root, serverThreads);
        ServerOptions options =
            ServerOptions.builder()
                .set(ServerOptions.PORT, 0)
                .set(ServerOptions.THREADS, serverThreads)
                .build();
        try (AutoCloseable running = start(server, registry, options)) {
          int port =
              server.equals("jdk")
                  ? ((JdkScoringServer) running).port()
                  : ((ScoringServer) running).port();
          if (round == 0) {
            HttpLoad.run(
                port, "/score", clients, Math.min(perClient, 2000), ServeBenchmarkCommand::single);
            HttpLoad.run(
                port, "/score", clients, Math.min(batchRequests, 20), i -> batch(i, batchSize));
          }
          singles
              .computeIfAbsent(server, k -> new ArrayList<>())
              .add(HttpLoad.run(port, "/score", clients, perClient, ServeBenchmarkCommand::single));
          batches
              .computeIfAbsent(server, k -> new ArrayList<>())
              .add(HttpLoad.run(port, "/score", clients, batchRequests, i -> batch(i, batchSize)));
        }
      }
    }
    ObjectNode json = JSON.createObjectNode();
    json.put("clients", clients)
        .put("server_threads", serverThreads)
        .put("requests_per_client", perClient)
        .put("rounds", rounds)
        .put("batch_events", batchSize)
        .put("batch_requests_per_client", batchRequests)
        .put("snapshot_rows", rows)
        .put("snapshot_megabytes", bytes >> 20)
        .put("snapshot_load_ms_median", loadMillis[2]);
    System.out.printf(
        Locale.ROOT,
        "%d clients on loopback, medians of %d rounds (jdk and netty alternating):%n",
        clients,
        rounds);
    System.out.println(
        "server | single requests/s | p50 ms | p99 ms | max ms | batch-"
            + batchSize
            + " events/s | batch p99 ms");
    for (String server : servers) {
      double rps = median(singles.get(server), r -> r.perSecond(1));
      double p50 = median(singles.get(server), r -> r.percentileMillis(0.5));
      double p99 = median(singles.get(server), r -> r.percentileMillis(0.99));
      double max = median(singles.get(server), r -> r.percentileMillis(1.0));
      double eps = median(batches.get(server), r -> r.perSecond(batchSize));
      double bp99 = median(batches.get(server), r -> r.percentileMillis(0.99));
      System.out.printf(
          Locale.ROOT,
          "%-6s | %,17.0f | %6.2f | %6.2f | %6.2f | %,17.0f | %.2f%n",
          server,
          rps,
          p50,
          p99,
          max,
          eps,
          bp99);
      json.putObject(server)
          .put("requests_per_second", rps)
          .put("latency_p50_ms", p50)
          .put("latency_p99_ms", p99)
          .put("latency_max_ms", max)
          .put("batch_events_per_second", eps)
          .put("batch_latency_p99_ms", bp99);
    }
    Path out = Path.of(o.get("json", "benchmark-serve.json"));
    JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), json);
    System.out.println("wrote " + out.toAbsolutePath());
    return 0;
  }

  private static AutoCloseable start(String server, ModelRegistry registry, ServerOptions options)
      throws Exception {
    return server.equals("jdk")
        ? new JdkScoringServer(registry, options)
        : new ScoringServer(registry, options, 3600);
  }

  private static double median(
      List<HttpLoad.Result> results, java.util.function.ToDoubleFunction<HttpLoad.Result> f) {
    double[] v = results.stream().mapToDouble(f).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** Single-event request number {@code i}: user and item drawn from the 1,000 known values. */
  private static byte[] single(int i) {
    return ("{\"modelId\": \"bench\", \"requestId\": \"r"
            + i
            + "\", \"features\": "
            + features(i)
            + "}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] batch(int i, int size) {
    StringBuilder sb = new StringBuilder("{\"modelId\": \"bench\", \"events\": [");
    for (int k = 0; k < size; k++) {
      int n = i * size + k;
      sb.append(k == 0 ? "" : ", ")
          .append("{\"requestId\": \"r")
          .append(n)
          .append("\", \"features\": ")
          .append(features(n))
          .append('}');
    }
    return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String features(int i) {
    int u = (i * 7919) % 1000;
    return "{\"user\": \"u"
        + u
        + "\", \"item\": \"i"
        + (u * 31) % 1000
        + "\", \"tags\": [\"a\", \"b\"], \"price\": "
        + i % 50
        + "}";
  }
}
