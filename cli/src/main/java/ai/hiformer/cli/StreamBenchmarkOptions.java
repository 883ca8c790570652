package ai.hiformer.cli;

import ai.hiformer.cli.stream.BenchmarkHooks;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code benchmark-stream}'s command line: its options, its usage, and its experiment flags. */
final class StreamBenchmarkOptions {
  private StreamBenchmarkOptions() {}

  static final Set<String> VALUED =
      Set.of(
          "data",
          "spec",
          "models",
          "events",
          "rate",
          "latency-events",
          "checkpoint-ms",
          "distinct-ids",
          "json",
          "delivery",
          "scoring",
          "labels",
          "label-delay-ms",
          "join-window-ms",
          "step-seconds",
          "warmup-seconds",
          "max-rate-limit",
          "max-p99-ms",
          "tail-seconds",
          "job",
          "learner",
          "flink",
          "kafka",
          "load",
          "trace",
          "trace-slow-ms");

  static final String USAGE =
      "Usage: hiformer benchmark-stream [--data DIR --spec SPEC | --distinct-ids N]"
          + " [--models lr,hiformer] [--events 30000] [--rate 5000] [--latency-events 20000] [--checkpoint-ms 1000]"
          + " [--delivery exactly-once,at-least-once] [--scoring replicas,inline,jobs]"
          + " [--labels inline,topic [--label-delay-ms 1000] [--join-window-ms W]] [--freshness] [--json FILE]"
          + " [--find-max-rate [--warmup-seconds 60] [--step-seconds 60] [--max-p99-ms 100]"
          + " [--max-rate-limit 40000]]"
          + " [--tail-seconds S]"
          + " [experiments: --job KEY=VALUE --learner KEY=VALUE --flink KEY=VALUE --kafka KEY=VALUE"
          + " --load KEY=VALUE (each repeatable) --trace PREFIX [--trace-slow-ms 1000] --stop-learner"
          + " --backlog]";

  static final Set<String> FLAGS = Set.of("freshness", "find-max-rate", "stop-learner", "backlog");

  /** The experiment flags ({@link BenchmarkHooks}), over the system properties of their names. */
  static void configureExperiments(Options o) {
    Map<String, List<String>> flags = new LinkedHashMap<>();
    for (String kind : BenchmarkHooks.KINDS) {
      flags.put(kind, o.all(kind));
    }
    try {
      BenchmarkHooks.configure(
          flags,
          o.get("trace", null),
          o.has("trace-slow-ms") ? o.integer("trace-slow-ms", 1000, 0) : -1,
          o.bool("stop-learner", false),
          o.bool("backlog", false));
    } catch (IllegalArgumentException e) {
      throw new Options.UsageException("benchmark-stream: " + e.getMessage());
    }
    for (String kind : BenchmarkHooks.KINDS) {
      if (!BenchmarkHooks.experiments(kind).isEmpty()) {
        System.out.println("experiment: --" + kind + " " + BenchmarkHooks.experiments(kind));
      }
    }
  }
}
