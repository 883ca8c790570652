package ai.hiformer.cli.stream;

import ai.hiformer.jobs.stream.JobConfig;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;

/**
 * {@code benchmark-stream}'s experiment settings: they change what runs, for measuring a change
 * before it becomes one. Each is a flag of the command (USAGE lists them); the system property of
 * the same name, {@code -Dhiformer.bench.KIND.KEY=VALUE} through {@code JAVA_OPTS}, still works, so
 * that the commands recorded in docs/BENCHMARKS.md run as they were, and a flag wins over it.
 *
 * <ul>
 *   <li>{@code --job KEY=VALUE}: a job option (conf/job.properties' keys) of every job; {@code
 *       kafka.property.NAME} for the job's Kafka clients;
 *   <li>{@code --learner KEY=VALUE}: the same, for the learning job alone ({@code --scoring jobs});
 *   <li>{@code --flink KEY=VALUE}: a Flink option of the jobs' clusters;
 *   <li>{@code --kafka KEY=VALUE}: a config of the embedded broker;
 *   <li>{@code --load KEY=VALUE}: a producer config of the load generator;
 *   <li>{@code --trace PREFIX}: every phase-2 event's times as CSV, the checkpoint history, the
 *       vertices, and the per-subtask details of checkpoints slower than {@code --trace-slow-ms}
 *       (1000), to files named PREFIX-model-scoring-delivery*;
 *   <li>{@code --stop-learner}: cancels the learning job (two jobs) before phase 2;
 *   <li>{@code --backlog}: the warm-up's events are in the topics before the jobs start, so the
 *       learner's warm-up rate is its own capacity (sharing the cores with the scorers working off
 *       the same backlog), not the load generator's rate.
 * </ul>
 *
 * <p>The command sets them once, before anything runs ({@link #configure}); one benchmark runs per
 * process.
 */
public final class BenchmarkHooks {
  /** The kinds of KEY=VALUE settings, each a flag of the command. */
  public static final List<String> KINDS = List.of("job", "learner", "flink", "kafka", "load");

  /** One run's experiments, each kind's settings sorted by key and unmodifiable. */
  private record Settings(
      Map<String, Map<String, String>> byKind,
      String trace,
      long traceSlowMillis,
      boolean stopLearner,
      boolean backlog) {}

  /** The system properties' until {@link #configure} replaces them. */
  private static volatile Settings current = resolve(Map.of(), null, -1, false, false);

  private BenchmarkHooks() {}

  /**
   * Sets the experiments of this run, replacing any set before: the system properties', then {@code
   * flags} over them.
   *
   * @param flags per kind of {@link #KINDS}, the KEY=VALUE texts given
   * @param tracePrefix {@code --trace}, or null for the property's
   * @param slowMillis {@code --trace-slow-ms}, or a negative number for the property's
   * @throws IllegalArgumentException naming a kind not in {@link #KINDS} or a text without '='
   */
  public static void configure(
      Map<String, List<String>> flags,
      String tracePrefix,
      long slowMillis,
      boolean stopLearnerFlag,
      boolean backlogFlag) {
    current = resolve(flags, tracePrefix, slowMillis, stopLearnerFlag, backlogFlag);
  }

  private static Settings resolve(
      Map<String, List<String>> flags,
      String tracePrefix,
      long slowMillis,
      boolean stopLearnerFlag,
      boolean backlogFlag) {
    Map<String, Map<String, String>> merged = fromProperties();
    flags.forEach(
        (kind, texts) -> {
          if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException(
                "unknown experiment kind '" + kind + "'; allowed: " + KINDS);
          }
          for (String text : texts) {
            int eq = text.indexOf('=');
            if (eq <= 0) {
              throw new IllegalArgumentException("--" + kind + " '" + text + "' needs KEY=VALUE");
            }
            merged.get(kind).put(text.substring(0, eq), text.substring(eq + 1));
          }
        });
    merged.replaceAll((kind, byKey) -> java.util.Collections.unmodifiableMap(byKey));
    return new Settings(
        merged,
        tracePrefix != null ? tracePrefix : System.getProperty("hiformer.bench.trace"),
        slowMillis >= 0 ? slowMillis : Long.getLong("hiformer.bench.trace.slow-ms", 1000),
        stopLearnerFlag || Boolean.getBoolean("hiformer.bench.stop-learner"),
        backlogFlag || Boolean.getBoolean("hiformer.bench.backlog"));
  }

  private static Map<String, Map<String, String>> fromProperties() {
    Map<String, Map<String, String>> out = new TreeMap<>();
    for (String kind : KINDS) {
      String prefix = "hiformer.bench." + kind + ".";
      Map<String, String> byKey = new TreeMap<>();
      System.getProperties().stringPropertyNames().stream()
          .filter(k -> k.startsWith(prefix))
          .forEach(k -> byKey.put(k.substring(prefix.length()), System.getProperty(k)));
      out.put(kind, byKey);
    }
    return out;
  }

  /** {@code --stop-learner}. */
  public static boolean stopLearner() {
    return current.stopLearner();
  }

  /** {@code --backlog}. */
  public static boolean backlog() {
    return current.backlog();
  }

  /** {@code --trace PREFIX}, or null. */
  public static String trace() {
    return current.trace();
  }

  /** {@code --trace-slow-ms}: checkpoints slower than this get their per-subtask details. */
  public static long traceSlowMillis() {
    return current.traceSlowMillis();
  }

  /** The trace files' common name: PREFIX-model-scoring-delivery. */
  public static String traceName(String kind, String scoring, String delivery) {
    return current.trace() + "-" + kind + "-" + scoring + "-" + delivery;
  }

  /** The settings of one of {@link #KINDS}, as KEY → VALUE. */
  public static Map<String, String> experiments(String kind) {
    return current.byKind().getOrDefault(kind, Map.of());
  }

  /** Sets the {@code --flink} options on a job's Flink configuration. */
  public static void applyTo(Configuration flink) {
    experiments("flink").forEach(flink::setString);
  }

  /** Sets the {@code --job} or {@code --learner} job options. */
  public static void applyTo(String kind, JobConfig.Builder job) {
    experiments(kind)
        .forEach(
            (key, value) -> {
              if (key.startsWith("kafka.property.")) {
                job.kafkaProperty(key.substring("kafka.property.".length()), value);
              } else {
                job.setText(key, value);
              }
            });
  }
}
