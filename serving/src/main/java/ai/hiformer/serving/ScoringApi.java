package ai.hiformer.serving;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.io.Row;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the scoring server answers, independent of the HTTP library: one method from a parsed
 * request (method, path, Authorization header, body) to a {@link Reply}. Paths match exactly:
 *
 * <ul>
 *   <li>{@code POST /score} with one event, {@code {"modelId", "requestId", "features": {...}}},
 *       answers {@code {"requestId", "modelId", "modelVersion", "scores": {task: p}}}; with a
 *       batch, {@code {"modelId", "events": [{"requestId", "features"}, ...]}}, answers {@code
 *       {"modelId", "modelVersion", "results": [{"requestId", "scores"} or {"requestId", "error"},
 *       ...]}} in request order, all from one model version; an event that cannot be encoded gets
 *       its reason and the others are scored;
 *   <li>{@code GET /health}: 200 while a model is loaded, else 503; the served versions and reload
 *       errors only to an authorised caller;
 *   <li>{@code GET /metrics}: Prometheus text.
 * </ul>
 *
 * With a token configured every request must carry {@code Authorization: Bearer <token>} (compared
 * in constant time), except {@code GET /health}, which then answers only its status. Client errors
 * name what was wrong with the request; a server error answers "internal error" and logs the cause
 * (no stack text leaves the server).
 */
public final class ScoringApi {
  private static final Logger LOG = LoggerFactory.getLogger(ScoringApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JSON_TYPE = "application/json";

  /** One answer: status, content type and body bytes. */
  public record Reply(int status, String contentType, byte[] body) {
    static Reply json(int status, byte[] body) {
      return new Reply(status, JSON_TYPE, body);
    }
  }

  private final ModelRegistry registry;
  private final int maxBatchEvents;
  private final byte[] token; // null: no authentication
  final AtomicLong requests = new AtomicLong();
  final AtomicLong failures = new AtomicLong();
  final AtomicLong unauthorized = new AtomicLong();
  final AtomicLong eventsScored = new AtomicLong();
  final AtomicLong nanos = new AtomicLong();
  final AtomicLong connectionsRejected = new AtomicLong();
  final AtomicLong requestTimeouts = new AtomicLong();

  public ScoringApi(ModelRegistry registry, ServerOptions options) {
    this.registry = registry;
    this.maxBatchEvents = options.get(ServerOptions.MAX_BATCH_EVENTS);
    Path tokenFile = options.get(ServerOptions.AUTH_TOKEN_FILE);
    this.token = tokenFile == null ? null : readToken(tokenFile);
  }

  /**
   * The token in {@code file}: one line of at least 16 characters without spaces (surrounding
   * blanks ignored).
   */
  static byte[] readToken(Path file) {
    String t;
    try {
      t = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("auth-token-file " + file + ": " + e.getMessage(), e);
    }
    if (t.length() < 16 || t.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException(
          "invalid auth-token-file = "
              + file
              + "; allowed: a file holding one token of at least 16 characters without spaces");
    }
    return t.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Answers one request. Never throws.
   *
   * @param path the request path without its query string
   * @param authorization the Authorization header, or null
   */
  public Reply handle(String method, String path, String authorization, byte[] body) {
    long t0 = System.nanoTime();
    requests.incrementAndGet();
    try {
      boolean authorised = authorised(authorization);
      switch (path) {
        case "/score":
          if (!authorised) {
            return unauthorized();
          }
          return method.equals("POST") ? score(body) : error(405, "use POST /score");
        case "/health":
          return method.equals("GET") ? health(authorised) : error(405, "use GET /health");
        case "/metrics":
          if (!authorised) {
            return unauthorized();
          }
          return method.equals("GET") ? metrics() : error(405, "use GET /metrics");
        default:
          return error(404, "no such path; use POST /score, GET /health or GET /metrics");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return error(503, "shutting down");
    } catch (RuntimeException | IOException e) {
      LOG.error("request {} {} failed", method, path, e);
      return error(500, "internal error");
    } finally {
      nanos.addAndGet(System.nanoTime() - t0);
    }
  }

  /**
   * A reply for a request the HTTP layer refused before it reached {@link #handle} (too large, too
   * slow).
   */
  public Reply refused(int status, String message) {
    requests.incrementAndGet();
    return error(status, message);
  }

  private boolean authorised(String authorization) {
    if (token == null) {
      return true;
    }
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      return false;
    }
    byte[] given = authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, token);
  }

  private Reply unauthorized() {
    unauthorized.incrementAndGet();
    return error(401, "missing or wrong bearer token");
  }

  private Reply score(byte[] body) throws IOException, InterruptedException {
    JsonNode req;
    try {
      req = JSON.readTree(body);
    } catch (IOException e) {
      return error(400, "not valid JSON");
    }
    if (req == null || !req.path("modelId").isTextual()) {
      return error(
          400,
          "expected {\"modelId\": string, \"features\": object} or {\"modelId\": string, "
              + "\"events\": [{\"requestId\": string, \"features\": object}, ...]}");
    }
    String modelId = req.get("modelId").asText();
    boolean batch = req.has("events");
    List<Row> rows = new ArrayList<>();
    List<String> requestIds = new ArrayList<>();
    if (batch) {
      JsonNode events = req.get("events");
      if (!events.isArray()) {
        return error(400, "events must be an array");
      }
      if (events.size() > maxBatchEvents) {
        return error(
            413, "a batch holds at most " + maxBatchEvents + " events, this one " + events.size());
      }
      for (int i = 0; i < events.size(); i++) {
        JsonNode e = events.get(i);
        if (!e.path("features").isObject()) {
          return error(
              400, "events[" + i + "]: expected {\"requestId\": string, \"features\": object}");
        }
        rows.add(JsonLinesReader.of(e.get("features"), "events[" + i + "]"));
        requestIds.add(e.path("requestId").asText(""));
      }
    } else {
      if (!req.path("features").isObject()) {
        return error(400, "expected {\"modelId\": string, \"features\": object}");
      }
      rows.add(JsonLinesReader.of(req.get("features"), "request"));
      requestIds.add(req.path("requestId").asText(""));
    }
    Optional<ServedModel> loaded = registry.model(modelId);
    if (loaded.isEmpty()) {
      return error(404, "no model '" + modelId + "' is loaded");
    }
    ServedModel model = loaded.get();
    List<String> tasks = model.tasks();
    int n = rows.size();
    double[] scores = new double[n * tasks.size()];
    String[] errors = new String[n];
    model =
        model.score(
            rows, scores, errors); // the version that scored: a followed model may have moved on
    int scored = 0;
    for (String e : errors) {
      scored += e == null ? 1 : 0;
    }
    eventsScored.addAndGet(scored);
    if (!batch && errors[0] != null) {
      return error(400, errors[0]);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + n * 48);
    try (JsonGenerator g = JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      if (!batch) {
        g.writeStringField("requestId", requestIds.get(0));
      }
      g.writeStringField("modelId", model.modelId());
      g.writeNumberField("modelVersion", model.version());
      if (batch) {
        g.writeArrayFieldStart("results");
        for (int i = 0; i < n; i++) {
          g.writeStartObject();
          g.writeStringField("requestId", requestIds.get(i));
          if (errors[i] != null) {
            g.writeStringField("error", errors[i]);
          } else {
            writeScores(g, tasks, scores, i);
          }
          g.writeEndObject();
        }
        g.writeEndArray();
      } else {
        writeScores(g, tasks, scores, 0);
      }
      g.writeEndObject();
    }
    return Reply.json(200, out.toByteArray());
  }

  private static void writeScores(JsonGenerator g, List<String> tasks, double[] scores, int i)
      throws IOException {
    g.writeObjectFieldStart("scores");
    for (int k = 0; k < tasks.size(); k++) {
      g.writeNumberField(tasks.get(k), scores[i * tasks.size() + k]);
    }
    g.writeEndObject();
  }

  private Reply health(boolean authorised) throws IOException {
    List<ServedModel> all = registry.all();
    var out = JSON.createObjectNode();
    out.put("status", all.isEmpty() ? "no model loaded" : "ok");
    if (authorised) {
      var models = out.putObject("models");
      for (ServedModel m : all) {
        models.put(m.modelId(), m.version());
      }
      out.put("snapshot_rejections", registry.rejections());
      out.put("reload_errors", registry.reloadErrors());
      if (registry.lastReloadError() != null) {
        out.put("last_reload_error", registry.lastReloadError());
      }
    }
    return Reply.json(all.isEmpty() ? 503 : 200, JSON.writeValueAsBytes(out));
  }

  private Reply metrics() {
    StringBuilder sb = new StringBuilder();
    counter(sb, "hiformer_requests_total", "HTTP requests answered", requests.get());
    counter(
        sb,
        "hiformer_request_failures_total",
        "requests answered with a 4xx or 5xx status",
        failures.get());
    counter(
        sb, "hiformer_unauthorized_total", "requests without the bearer token", unauthorized.get());
    counter(
        sb,
        "hiformer_events_scored_total",
        "events scored (a batch counts each)",
        eventsScored.get());
    counter(
        sb, "hiformer_request_seconds_total", "time spent answering requests", nanos.get() / 1e9);
    counter(
        sb,
        "hiformer_connections_rejected_total",
        "connections closed at max-connections",
        connectionsRejected.get());
    counter(
        sb,
        "hiformer_request_timeouts_total",
        "requests that did not arrive within request-timeout-ms",
        requestTimeouts.get());
    counter(sb, "hiformer_snapshot_loads_total", "model versions loaded", registry.loads());
    counter(
        sb,
        "hiformer_snapshot_rejections_total",
        "snapshots and deltas rejected",
        registry.rejections());
    counter(
        sb,
        "hiformer_reload_errors_total",
        "reloads that failed outside a snapshot's own checks",
        registry.reloadErrors());
    sb.append(
        "# HELP hiformer_model_version the model version served\n# TYPE hiformer_model_version gauge\n");
    for (ServedModel m : registry.all()) {
      sb.append("hiformer_model_version{model=\"")
          .append(m.modelId().replace("\\", "\\\\").replace("\"", "\\\""))
          .append("\"} ")
          .append(m.version())
          .append('\n');
    }
    return new Reply(
        200, "text/plain; version=0.0.4", sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static void counter(StringBuilder sb, String name, String help, double value) {
    sb.append("# HELP ")
        .append(name)
        .append(' ')
        .append(help)
        .append("\n# TYPE ")
        .append(name)
        .append(" counter\n")
        .append(name)
        .append(' ');
    if (value == Math.rint(value)) {
      sb.append((long) value);
    } else {
      sb.append(value);
    }
    sb.append('\n');
  }

  private Reply error(int status, String message) {
    failures.incrementAndGet();
    try {
      return Reply.json(
          status, JSON.writeValueAsBytes(JSON.createObjectNode().put("error", message)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
