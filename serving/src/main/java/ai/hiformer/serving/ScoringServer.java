package ai.hiformer.serving;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.JsonLinesReader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scores over HTTP with the JDK's server: {@code POST /score} with
 * {@code {"modelId": "...", "requestId": "...", "features": {"user": "u1", "tags": ["a"], "price": 3.5}}}
 * answers {@code {"requestId", "modelId", "modelVersion", "scores": {task: p}}}; {@code GET /health}
 * lists the served versions; {@code GET /metrics} is Prometheus text. Snapshots are reloaded every
 * {@code reloadSeconds}.
 */
public final class ScoringServer implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ScoringServer.class);
  static {
    // The JDK server writes headers and body separately; without TCP_NODELAY, Nagle's algorithm and the
    // client's delayed ACK add ~40 ms to every response. Read once when the server classes load.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 1 << 20;

  private final ModelRegistry registry;
  private final HttpServer http;
  private final ScheduledExecutorService reloader;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong nanos = new AtomicLong();

  public ScoringServer(ModelRegistry registry, int port, int threads, long reloadSeconds) throws IOException {
    this(registry, "127.0.0.1", port, threads, reloadSeconds);
  }

  /** As above, listening on {@code bindAddress} (e.g. 0.0.0.0 inside a container). */
  public ScoringServer(ModelRegistry registry, String bindAddress, int port, int threads, long reloadSeconds)
      throws IOException {
    this.registry = registry;
    registry.refresh();
    http = HttpServer.create(new InetSocketAddress(bindAddress, port), 128);
    http.setExecutor(Executors.newFixedThreadPool(threads));
    http.createContext("/score", this::score);
    http.createContext("/health", this::health);
    http.createContext("/metrics", this::metrics);
    http.start();
    reloader = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "snapshot-reloader");
      t.setDaemon(true);
      return t;
    });
    // The registry never throws; the catch is the last guard, since a scheduled task that throws is never
    // run again and the server would silently stop following new versions.
    reloader.scheduleWithFixedDelay(() -> {
      try {
        registry.refresh();
      } catch (Throwable t) {
        LOG.error("snapshot reload failed; retrying in {} s", reloadSeconds, t);
      }
    }, reloadSeconds, reloadSeconds, TimeUnit.SECONDS);
  }

  public int port() {
    return http.getAddress().getPort();
  }

  private void score(HttpExchange ex) throws IOException {
    long t0 = System.nanoTime();
    requests.incrementAndGet();
    try {
      if (!ex.getRequestMethod().equals("POST")) {
        reply(ex, 405, error("use POST"));
        return;
      }
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readNBytes(MAX_BODY + 1);
      }
      if (body.length > MAX_BODY) {
        reply(ex, 413, error("request larger than " + MAX_BODY + " bytes"));
        return;
      }
      JsonNode req;
      try {
        req = JSON.readTree(body);
      } catch (IOException e) {
        reply(ex, 400, error("not valid JSON"));
        return;
      }
      if (req == null || !req.path("modelId").isTextual() || !req.path("features").isObject()) {
        reply(ex, 400, error("expected {\"modelId\": string, \"features\": object}"));
        return;
      }
      Optional<ServedModel> model = registry.model(req.get("modelId").asText());
      if (model.isEmpty()) {
        reply(ex, 404, error("no model '" + req.get("modelId").asText() + "' is loaded"));
        return;
      }
      ServedModel m = model.get();
      Map<String, Double> scores;
      try {
        scores = m.score(JsonLinesReader.of(req.get("features"), "request"));
      } catch (BadRowException e) {
        reply(ex, 400, error(e.getMessage()));
        return;
      }
      ObjectNode out = JSON.createObjectNode();
      out.put("requestId", req.path("requestId").asText(""));
      out.put("modelId", m.modelId());
      out.put("modelVersion", m.version());
      ObjectNode s = out.putObject("scores");
      scores.forEach(s::put);
      reply(ex, 200, out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reply(ex, 503, error("interrupted"));
    } catch (RuntimeException e) {
      reply(ex, 500, error(e.toString()));
    } finally {
      nanos.addAndGet(System.nanoTime() - t0);
    }
  }

  private void health(HttpExchange ex) throws IOException {
    ObjectNode out = JSON.createObjectNode();
    ObjectNode models = out.putObject("models");
    for (ServedModel m : registry.all()) {
      models.put(m.modelId(), m.version());
    }
    out.put("status", registry.all().isEmpty() ? "no model loaded" : "ok");
    out.put("snapshot_rejections", registry.rejections());
    out.put("reload_errors", registry.reloadErrors());
    if (registry.lastReloadError() != null) {
      out.put("last_reload_error", registry.lastReloadError());
    }
    reply(ex, registry.all().isEmpty() ? 503 : 200, out);
  }

  private void metrics(HttpExchange ex) throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("# TYPE hiformer_requests_total counter\nhiformer_requests_total ").append(requests.get()).append('\n');
    sb.append("# TYPE hiformer_request_failures_total counter\nhiformer_request_failures_total ").append(failures.get()).append('\n');
    sb.append("# TYPE hiformer_request_seconds_total counter\nhiformer_request_seconds_total ").append(nanos.get() / 1e9).append('\n');
    sb.append("# TYPE hiformer_snapshot_loads_total counter\nhiformer_snapshot_loads_total ").append(registry.loads()).append('\n');
    sb.append("# TYPE hiformer_snapshot_rejections_total counter\nhiformer_snapshot_rejections_total ")
        .append(registry.rejections()).append('\n');
    sb.append("# TYPE hiformer_reload_errors_total counter\nhiformer_reload_errors_total ")
        .append(registry.reloadErrors()).append('\n');
    sb.append("# TYPE hiformer_model_version gauge\n");
    for (ServedModel m : registry.all()) {
      sb.append("hiformer_model_version{model=\"").append(m.modelId()).append("\"} ").append(m.version()).append('\n');
    }
    byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
    ex.sendResponseHeaders(200, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  private ObjectNode error(String message) {
    failures.incrementAndGet();
    ObjectNode e = JSON.createObjectNode();
    e.put("error", message);
    return e;
  }

  private static void reply(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] b = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  @Override
  public void close() {
    reloader.shutdownNow();
    http.stop(0);
    ((java.util.concurrent.ExecutorService) http.getExecutor()).shutdownNow();
  }
}
