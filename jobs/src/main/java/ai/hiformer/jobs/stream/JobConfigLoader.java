package ai.hiformer.jobs.stream;

import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds a {@link JobConfig} from one properties file plus command-line overrides
 * ({@code --key=value}). Every key is checked: an unknown one fails at start-up, naming it and listing
 * the known keys. Keys under {@code kafka.property.} pass through to the Kafka clients (SASL/SSL
 * settings, timeouts); keys under {@code model.} are the model configuration (ModelConfig's text form).
 * See {@code conf/job.properties} for every key with its default.
 */
public final class JobConfigLoader {
  public static final Set<String> KEYS = new TreeSet<>(Arrays.asList(
      "kafka.bootstrap-servers", "kafka.group-id", "kafka.transactional-id-prefix",
      "topics.events", "topics.labels", "topics.scores", "topics.dead-letters",
      "job.model-ids", "job.feature-spec", "job.parallelism", "job.bounded",
      "optimizer.dense-lr", "optimizer.embedding-lr",
      "learn.micro-batch", "learn.flush-idle-ms", "join.window-ms",
      "snapshot.dir", "snapshot.every-examples", "snapshot.every-event-time-ms", "snapshot.keep",
      "checkpoint.interval-ms", "checkpoint.dir", "state.rocksdb.localdir",
      "validate.max-value-chars", "chaos.fail-once-after-records", "sync.delta-interval-ms",
      "sync.dense-every-deltas"));
  private static final Set<String> MODEL_KEYS = new TreeSet<>(Arrays.asList(
      "kind", "d", "heads", "key-dim", "value-dim", "layers", "prune-last-layer", "rank-q", "rank-k", "rank-v",
      "full-rank", "ffn-activation", "ffn-hidden", "head-hidden", "cross-layers", "dcn-mlp", "dense-tokens",
      "dense-hidden", "tasks", "embedding-init-std", "seed"));

  private JobConfigLoader() {}

  /** Reads {@code file} (may be null) and applies {@code --key=value} overrides from {@code args}. */
  public static Map<String, String> read(Path file, String[] args, int from) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    if (file != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      }
      for (String k : p.stringPropertyNames()) {
        m.put(k, p.getProperty(k).trim());
      }
    }
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'; overrides look like --key=value");
      }
      String kv = a.substring(2);
      int eq = kv.indexOf('=');
      if (eq < 0) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option --" + kv + " needs a value");
        }
        m.put(kv, args[++i]);
      } else {
        m.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return m;
  }

  /** Validates every key and builds the configuration. */
  public static JobConfig build(Map<String, String> m) throws IOException {
    JobConfig.Builder b = JobConfig.builder();
    StringBuilder model = new StringBuilder();
    for (Map.Entry<String, String> e : m.entrySet()) {
      String k = e.getKey();
      String v = e.getValue();
      if (k.startsWith("kafka.property.")) {
        b.kafkaProperty(k.substring("kafka.property.".length()), v);
        continue;
      }
      if (k.startsWith("model.")) {
        String mk = k.substring("model.".length());
        if (!MODEL_KEYS.contains(mk)) {
          throw new IllegalArgumentException("unknown key '" + k + "'; allowed model keys: "
              + MODEL_KEYS.stream().map(x -> "model." + x).toList());
        }
        model.append(mk).append('=').append(v).append('\n');
        continue;
      }
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException("unknown key '" + k + "'; allowed: " + KEYS
            + ", kafka.property.*, model.*");
      }
      try {
        switch (k) {
          case "kafka.bootstrap-servers" -> b.bootstrapServers(v);
          case "kafka.group-id" -> b.groupId(v);
          case "kafka.transactional-id-prefix" -> b.transactionalIdPrefix(v);
          case "topics.events" -> b.eventsTopic(v);
          case "topics.labels" -> b.labelsTopic(v);
          case "topics.scores" -> b.scoresTopic(v);
          case "topics.dead-letters" -> b.deadLetterTopic(v);
          case "job.model-ids" -> b.modelIds(new TreeSet<>(Arrays.stream(v.split(",")).map(String::trim)
              .filter(s -> !s.isEmpty()).toList()));
          case "job.feature-spec" -> b.specJson(Files.readString(Paths.get(v)));
          case "job.parallelism" -> b.parallelism(Integer.parseInt(v));
          case "job.bounded" -> b.bounded(parseBoolean(k, v));
          case "optimizer.dense-lr" -> b.denseLr(Double.parseDouble(v));
          case "optimizer.embedding-lr" -> b.embeddingLr(Double.parseDouble(v));
          case "learn.micro-batch" -> b.microBatch(Integer.parseInt(v));
          case "learn.flush-idle-ms" -> b.flushIdleMillis(Long.parseLong(v));
          case "join.window-ms" -> b.labelWindowMillis(Long.parseLong(v));
          case "snapshot.dir" -> b.snapshotDir(v.isEmpty() ? null : v);
          case "snapshot.every-examples" -> b.snapshotEveryExamples(Long.parseLong(v));
          case "snapshot.every-event-time-ms" -> b.snapshotEveryEventTimeMillis(Long.parseLong(v));
          case "snapshot.keep" -> b.snapshotKeep(Integer.parseInt(v));
          case "checkpoint.interval-ms" -> b.checkpointIntervalMillis(Long.parseLong(v));
          case "checkpoint.dir" -> b.checkpointDir(v);
          case "state.rocksdb.localdir" -> b.rocksDbLocalDir(v);
          case "validate.max-value-chars" -> b.maxValueChars(Integer.parseInt(v));
          case "chaos.fail-once-after-records" -> b.failOnceAfterRecords(Long.parseLong(v));
          case "sync.delta-interval-ms" -> b.deltaIntervalMillis(Long.parseLong(v));
          case "sync.dense-every-deltas" -> b.denseEveryDeltas(Integer.parseInt(v));
          default -> throw new IllegalStateException(k);
        }
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("invalid " + k + " = '" + v + "'; allowed: a number");
      }
    }
    if (!m.containsKey("job.feature-spec")) {
      throw new IllegalArgumentException("missing job.feature-spec; allowed: the path of a feature spec JSON");
    }
    if (model.indexOf("kind=") < 0) {
      model.append("kind=").append(ModelKind.HIFORMER.cliName()).append('\n');
    }
    b.modelConfig(ModelConfig.fromProperties(model.toString()));
    return b.build();
  }

  private static boolean parseBoolean(String k, String v) {
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException("invalid " + k + " = '" + v + "'; allowed: true, false");
    }
    return Boolean.parseBoolean(v);
  }
}
