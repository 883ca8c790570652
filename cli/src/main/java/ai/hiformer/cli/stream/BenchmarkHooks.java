package ai.hiformer.cli.stream;

import ai.hiformer.jobs.stream.JobConfig;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;

/**
 * {@code benchmark-stream}'s experiment hooks, system properties set through {@code JAVA_OPTS}:
 * they change what runs without changing the command's figures or flags, for measuring a change
 * before it becomes one.
 *
 * <ul>
 *   <li>{@code -Dhiformer.bench.job.KEY=VALUE}: a job option (conf/job.properties' keys) of every
 *       job; {@code kafka.property.NAME} for the job's Kafka clients;
 *   <li>{@code -Dhiformer.bench.learner.KEY=VALUE}: the same, for the learning job alone ({@code
 *       --scoring jobs});
 *   <li>{@code -Dhiformer.bench.flink.KEY=VALUE}: a Flink option of the jobs' clusters;
 *   <li>{@code -Dhiformer.bench.kafka.KEY=VALUE}: a config of the embedded broker;
 *   <li>{@code -Dhiformer.bench.load.KEY=VALUE}: a producer config of the load generator;
 *   <li>{@code -Dhiformer.bench.trace=PREFIX}: every phase-2 event's times as CSV, the checkpoint
 *       history, the vertices, and the per-subtask details of checkpoints slower than {@code
 *       -Dhiformer.bench.trace.slow-ms} (1000), to files named PREFIX-model-scoring-delivery*;
 *   <li>{@code -Dhiformer.bench.stop-learner=true}: cancels the learning job (two jobs) before
 *       phase 2;
 *   <li>{@code -Dhiformer.bench.backlog=true}: the warm-up's events are in the topics before the
 *       jobs start, so the learner's warm-up rate is its own capacity (sharing the cores with the
 *       scorers working off the same backlog), not the load generator's rate.
 * </ul>
 */
public final class BenchmarkHooks {
  private BenchmarkHooks() {}

  /** {@code -Dhiformer.bench.stop-learner=true}. */
  public static final boolean STOP_LEARNER = Boolean.getBoolean("hiformer.bench.stop-learner");

  /** {@code -Dhiformer.bench.backlog=true}. */
  public static final boolean BACKLOG = Boolean.getBoolean("hiformer.bench.backlog");

  /** {@code -Dhiformer.bench.trace=PREFIX}, or null. */
  public static final String TRACE = System.getProperty("hiformer.bench.trace");

  /** The trace files' common name: PREFIX-model-scoring-delivery. */
  public static String traceName(String kind, String scoring, String delivery) {
    return TRACE + "-" + kind + "-" + scoring + "-" + delivery;
  }

  /** The system properties {@code hiformer.bench.KIND.KEY=VALUE}, as KEY → VALUE. */
  public static Map<String, String> experiments(String kind) {
    String prefix = "hiformer.bench." + kind + ".";
    Map<String, String> settings = new TreeMap<>();
    System.getProperties().stringPropertyNames().stream()
        .filter(k -> k.startsWith(prefix))
        .forEach(k -> settings.put(k.substring(prefix.length()), System.getProperty(k)));
    return settings;
  }

  /** Sets the {@code hiformer.bench.flink.*} options on a job's Flink configuration. */
  public static void applyTo(Configuration flink) {
    experiments("flink").forEach(flink::setString);
  }

  /** Sets the {@code hiformer.bench.KIND.*} job options ({@code job} or {@code learner}). */
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
