package ai.hiformer.cli;

import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ScoringServer;
import ai.hiformer.serving.ServedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** {@code hiformer serve --snapshots DIR}: serves the newest snapshot of every model over HTTP, reloading. */
public final class ServeCommand extends OptionsCommand {
  static final Set<String> VALUED = Set.of("snapshots", "port", "bind", "threads", "reload-seconds");
  static final String USAGE = """
      Usage: hiformer serve --snapshots DIR [--port 8080] [--bind 127.0.0.1] [--threads 4] [--reload-seconds 5]
        Serves the newest complete snapshot of every model under DIR (as ./hiformer run leaves them) and
        swaps in newer ones as they appear. POST /score, GET /health, GET /metrics.
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
    int threads = o.integer("threads", 4, 1);
    ModelRegistry registry = new ModelRegistry(root, threads);
    ScoringServer server = new ScoringServer(registry, o.get("bind", "127.0.0.1"), o.integer("port", 8080, 0), threads,
        o.integer("reload-seconds", 5, 1));
    System.out.println("Serving on http://" + o.get("bind", "127.0.0.1") + ":" + server.port() + " from " + root.toAbsolutePath());
    for (ServedModel m : registry.all()) {
      System.out.println("  " + m.modelId() + " version " + m.version());
    }
    if (registry.all().isEmpty()) {
      System.out.println("  (no complete snapshot yet; waiting for one)");
    }
    System.out.println("Try: curl -s -X POST http://127.0.0.1:" + server.port()
        + "/score -d '{\"modelId\": \"<model>\", \"features\": {...}}'");
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    new CountDownLatch(1).await();
    return 0;
  }
}
