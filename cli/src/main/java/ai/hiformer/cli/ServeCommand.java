package ai.hiformer.cli;

import ai.hiformer.model.config.Option;
import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ScoringServer;
import ai.hiformer.serving.ServedModel;
import ai.hiformer.serving.ServerOptions;
import ai.hiformer.serving.UpdateFollower;
import ai.hiformer.serving.UpdateTopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code hiformer serve --snapshots DIR}: serves the newest snapshot of every model over HTTP,
 * reloading.
 */
public final class ServeCommand extends OptionsCommand {
  /**
   * The server's options are flags of their own names ({@code --max-connections 64}), from the
   * declarations.
   */
  static final Set<String> VALUED =
      java.util.stream.Stream.concat(
              Stream.of(
                  "snapshots", "reload-seconds", "updates-topic", "config", "bootstrap-servers"),
              ServerOptions.ALL.stream().map(Option::key))
          .collect(java.util.stream.Collectors.toUnmodifiableSet());

  static final String USAGE =
      """
      Usage: hiformer serve [--snapshots DIR] [--reload-seconds 5]
                            [--updates-topic TOPIC [--config job.properties] [--bootstrap-servers HOST:PORT]]
                            [server options]
        Serves the newest complete snapshot of every model under DIR (as ./hiformer run leaves them) and
        swaps in newer ones as they appear; with --updates-topic (the job's topics.model-updates), also follows
        the learner's model updates, each applied within moments of its publication, and serves whichever of
        the two is newer (a rollback pin in DIR wins). Kafka client settings as the job's (--config: its
        kafka.bootstrap-servers and kafka.property.*). POST /score (one event or a batch), GET /health,
        GET /metrics.
      Server options (default; --threads defaults to one per core):
      """
          + ServeCommand.describe(ServerOptions.ALL);

  /** One line per option: {@code --key default meaning}. */
  static String describe(java.util.List<Option<?>> options) {
    StringBuilder sb = new StringBuilder();
    for (Option<?> opt : options) {
      String flag =
          "--" + opt.key() + (opt.defaultValue() == null ? " ..." : " " + opt.defaultValue());
      sb.append(String.format(java.util.Locale.ROOT, "  %-28s %s%n", flag, opt.description()));
    }
    return sb.toString();
  }

  ServeCommand() {
    super(
        "serve",
        "score over HTTP with the newest snapshots (--snapshots DIR), reloading new ones",
        USAGE,
        VALUED,
        Set.of());
  }

  @Override
  protected int run(Options o) throws Exception {
    if (!o.has("snapshots") && !o.has("updates-topic")) {
      throw new Options.UsageException(
          "serve: give --snapshots DIR, --updates-topic TOPIC, or both");
    }
    Path root = o.has("snapshots") ? Paths.get(o.get("snapshots", null)) : null;
    if (root != null && !Files.isDirectory(root)) {
      throw new Options.UsageException("serve: --snapshots " + root + " is not a directory");
    }
    ServerOptions options = serverOptions(o, 8080);
    ModelRegistry registry = new ModelRegistry(root, options.get(ServerOptions.THREADS));
    if (o.has("updates-topic")) {
      java.util.Map<String, String> file = KafkaClientOptions.config(o);
      UpdateFollower follower =
          new UpdateFollower(options.get(ServerOptions.THREADS), (id, version, epoch, seq) -> {});
      registry.follow(follower);
      UpdateTopicReader reader;
      try {
        reader =
            new UpdateTopicReader(
                KafkaClientOptions.client(o, file), o.get("updates-topic", null), follower);
      } catch (IllegalArgumentException e) {
        throw new Options.UsageException("serve: --updates-topic: " + e.getMessage());
      }
      Runtime.getRuntime().addShutdownHook(new Thread(reader::close));
      System.out.println("Following model updates on " + o.get("updates-topic", null));
    }
    ScoringServer server;
    try {
      server = new ScoringServer(registry, options, o.integer("reload-seconds", 5, 1));
    } catch (IllegalArgumentException e) {
      throw new Options.UsageException("serve: " + e.getMessage());
    }
    String scheme = options.tls() ? "https" : "http";
    System.out.println(
        "Serving on "
            + scheme
            + "://"
            + options.get(ServerOptions.BIND)
            + ":"
            + server.port()
            + " from "
            + (root == null ? "the update topic" : root.toAbsolutePath())
            + (options.get(ServerOptions.AUTH_TOKEN_FILE) != null
                ? " (bearer token required)"
                : ""));
    for (ServedModel m : registry.all()) {
      System.out.println("  " + m.modelId() + " version " + m.version());
    }
    if (registry.all().isEmpty()) {
      System.out.println("  (no complete snapshot yet; waiting for one)");
    }
    System.out.println(
        "Try: curl -s -X POST "
            + scheme
            + "://127.0.0.1:"
            + server.port()
            + "/score -d '{\"modelId\": \"<model>\", \"features\": {...}}'");
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    new CountDownLatch(1).await();
    return 0;
  }

  /**
   * The server options given on the command line, each validated (a bad one is a usage error naming
   * it).
   */
  static ServerOptions serverOptions(Options o, int defaultPort) {
    try {
      ServerOptions.Builder b =
          ServerOptions.builder()
              .set(ServerOptions.PORT, defaultPort)
              .set(ServerOptions.THREADS, Runtime.getRuntime().availableProcessors());
      for (Option<?> opt : ServerOptions.ALL) {
        if (o.has(opt.key())) {
          b.setText(opt.key(), o.get(opt.key(), ""));
        }
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new Options.UsageException("serve: " + e.getMessage());
    }
  }
}
