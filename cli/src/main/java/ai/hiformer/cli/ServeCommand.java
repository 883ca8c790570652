package ai.hiformer.cli;

import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ScoringServer;
import ai.hiformer.serving.ServedModel;
import ai.hiformer.serving.ServerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** {@code hiformer serve --snapshots DIR}: serves the newest snapshot of every model over HTTP, reloading. */
public final class ServeCommand extends OptionsCommand {
  static final Set<String> VALUED = Set.of("snapshots", "port", "bind", "threads", "reload-seconds", "max-connections",
      "request-timeout-ms", "idle-timeout-ms", "max-header-bytes", "max-body-bytes", "max-batch-events", "tls-cert",
      "tls-key", "auth-token-file");
  static final String USAGE = """
      Usage: hiformer serve --snapshots DIR [--port 8080] [--bind 127.0.0.1] [--threads <cores>] [--reload-seconds 5]
                            [--auth-token-file FILE] [--tls-cert CERT.pem --tls-key KEY.pem]
                            [--max-connections 1024] [--request-timeout-ms 10000] [--idle-timeout-ms 60000]
                            [--max-header-bytes 8192] [--max-body-bytes 4194304] [--max-batch-events 4096]
        Serves the newest complete snapshot of every model under DIR (as ./hiformer run leaves them) and
        swaps in newer ones as they appear. POST /score (one event or a batch), GET /health, GET /metrics.
        --auth-token-file: every request must carry "Authorization: Bearer <the file's token>" (GET /health
        without it answers only its status). --tls-cert/--tls-key: HTTPS only (PEM chain, PKCS#8 PEM key).
        A request must arrive whole within --request-timeout-ms (else 408); idle connections close after
        --idle-timeout-ms; connections past --max-connections are closed.
      """;

  ServeCommand() {
    super("serve", "score over HTTP with the newest snapshots (--snapshots DIR), reloading new ones", USAGE, VALUED, Set.of());
  }

  @Override
  protected int run(Options o) throws Exception {
    Path root = Paths.get(o.required("snapshots"));
    if (!Files.isDirectory(root)) {
      throw new Options.UsageException("serve: --snapshots " + root + " is not a directory");
    }
    ServerOptions options = serverOptions(o, 8080);
    ModelRegistry registry = new ModelRegistry(root, options.threads());
    ScoringServer server;
    try {
      server = new ScoringServer(registry, options, o.integer("reload-seconds", 5, 1));
    } catch (IllegalArgumentException e) {
      throw new Options.UsageException("serve: " + e.getMessage());
    }
    String scheme = options.tls() ? "https" : "http";
    System.out.println("Serving on " + scheme + "://" + options.bindAddress() + ":" + server.port() + " from "
        + root.toAbsolutePath() + (options.authTokenFile().isPresent() ? " (bearer token required)" : ""));
    for (ServedModel m : registry.all()) {
      System.out.println("  " + m.modelId() + " version " + m.version());
    }
    if (registry.all().isEmpty()) {
      System.out.println("  (no complete snapshot yet; waiting for one)");
    }
    System.out.println("Try: curl -s -X POST " + scheme + "://127.0.0.1:" + server.port()
        + "/score -d '{\"modelId\": \"<model>\", \"features\": {...}}'");
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    new CountDownLatch(1).await();
    return 0;
  }

  /** The server options given on the command line, each validated (a bad one is a usage error naming it). */
  static ServerOptions serverOptions(Options o, int defaultPort) {
    ServerOptions.Builder b = ServerOptions.builder()
        .bindAddress(o.get("bind", "127.0.0.1"))
        .port(o.integer("port", defaultPort, 0))
        .threads(o.integer("threads", Runtime.getRuntime().availableProcessors(), 1))
        .maxConnections(o.integer("max-connections", 1024, 1))
        .requestTimeoutMillis(o.integer("request-timeout-ms", 10_000, 1))
        .idleTimeoutMillis(o.integer("idle-timeout-ms", 60_000, 1))
        .maxHeaderBytes(o.integer("max-header-bytes", 8 << 10, 1024))
        .maxBodyBytes(o.integer("max-body-bytes", 4 << 20, 1024))
        .maxBatchEvents(o.integer("max-batch-events", 4096, 1));
    if (o.has("tls-cert") || o.has("tls-key")) {
      b.tls(o.has("tls-cert") ? Paths.get(o.get("tls-cert", "")) : null,
          o.has("tls-key") ? Paths.get(o.get("tls-key", "")) : null);
    }
    if (o.has("auth-token-file")) {
      b.authTokenFile(Paths.get(o.get("auth-token-file", "")));
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new Options.UsageException("serve: " + e.getMessage());
    }
  }
}
