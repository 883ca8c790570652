package ai.hiformer.jobs.stream;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.ModelOptionsBuilder;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.config.Option;
import ai.hiformer.model.config.OptionValues;
import ai.hiformer.model.optim.OptimizerConfig;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything the streaming job needs: the options declared below, those of {@link LearnerOptions},
 * the Kafka client properties ({@code kafka.property.*}) and the model configuration ({@code
 * model.*}). Each option is declared once (key, default, allowed values, meaning); {@link
 * JobConfigLoader} reads any of them from a properties file or the command line, and {@code
 * conf/job.properties} lists them all (a test keeps it so). Immutable and validated on construction
 * (a bad value fails at start-up naming its key and the allowed values); serializable as plain
 * strings so that Flink can ship it to the task managers.
 */
public final class JobConfig implements Serializable {
  private static final long serialVersionUID = 2L;

  public static final Option<String> BOOTSTRAP_SERVERS =
      Option.string(
          "kafka.bootstrap-servers", null, "the Kafka brokers (host:port, comma-separated)");
  public static final Option<String> GROUP_ID =
      Option.string("kafka.group-id", "hiformer", "the consumer group of the job's sources");
  public static final Option<String> TRANSACTIONAL_ID_PREFIX =
      Option.string(
          "kafka.transactional-id-prefix",
          "hiformer-scores",
          "prefix of the exactly-once sinks' transactional ids; one per job: a job started afresh probes every"
              + " id an earlier job with the same prefix used before it can write");
  public static final Option<String> EVENTS_TOPIC =
      Option.string("topics.events", "events", "where events are read");
  public static final Option<String> LABELS_TOPIC =
      Option.string(
          "topics.labels", "labels", "where labels that arrive after their event are read");
  public static final Option<String> SCORES_TOPIC =
      Option.string("topics.scores", "scores", "where scores go");
  public static final Option<String> SCORES_DELIVERY =
      Option.oneOf(
          "scores.delivery",
          "exactly-once",
          "exactly-once: a score is visible to read_committed consumers when the checkpoint that wrote it completes,"
              + " once; at-least-once: at once, and after a failure possibly again with the same request id",
          "exactly-once",
          "at-least-once");
  public static final Option<String> UPDATES_TOPIC =
      Option.optionalString(
          "topics.model-updates",
          "where the learner's model updates go (keyed by model id; with updates.interval-ms > 0); unset = none");
  public static final Option<String> EXCHANGE_TOPIC =
      Option.optionalString(
          "topics.learner-exchange",
          "with learn.parallelism > 1: where the learners of a model send each other what they learnt (keyed by"
              + " model id, one partition, max.message.bytes >= 16 MB: a delta holds the dense weights)");
  public static final Option<String> DEAD_LETTER_TOPIC =
      Option.string(
          "topics.dead-letters",
          "dead-letters",
          "where malformed events and labels go, with their reason");
  public static final Option<Set<String>> MODEL_IDS =
      Option.names(
          "job.model-ids", "which model ids exist; events for any other id are dead-lettered");
  public static final Option<Integer> PARALLELISM =
      Option.integer("job.parallelism", 1, 1, "the job's default parallelism");
  public static final Option<String> ROLE =
      Option.oneOf(
          "job.role",
          "all",
          "all: this job scores and learns; learn: it only learns, publishing its model updates to"
              + " topics.model-updates; score: it only scores, with replicas that follow those updates (a learn job's),"
              + " so that its checkpoints, and with them exactly-once scores, never wait for the learner's. learn and"
              + " score need topics.model-updates and scoring.parallelism > 0, and run as two jobs on the same"
              + " configuration",
          "all",
          "learn",
          "score");
  public static final Option<Boolean> BOUNDED =
      Option.bool(
          "job.bounded",
          false,
          "true: stop at the end of what the topics hold when the job starts (replays)");
  public static final Option<Long> LABEL_WINDOW_MS =
      Option.longInteger(
          "join.window-ms",
          60_000,
          1,
          "how long an impression waits for its labels (in join.time); tasks still without a label then count as"
              + " negatives");
  public static final Option<String> JOIN_TIME =
      Option.oneOf(
          "join.time",
          "event",
          "event: join windows in event time (the impression's and the label's own times, closed by the watermarks"
              + " of the events and labels topics), so a replay or backfill joins as the live stream did;"
              + " processing: from arrival, by the wall clock",
          "event",
          "processing");
  public static final Option<String> JOIN_MODE =
      Option.oneOf(
          "join.mode",
          "window-fnw",
          "window: an impression is learned when its labels are in or its window closes, a later label is"
              + " dropped; window-fnw: the same, and a positive that arrives after the window (within"
              + " join.attribution-window-ms) is learned once more, with fake-negative weights for the wait"
              + " (docs/DELAYED_LABELS.md)",
          "window",
          "window-fnw");
  public static final Option<Long> JOIN_ATTRIBUTION_WINDOW_MS =
      Option.longInteger(
          "join.attribution-window-ms",
          86_400_000,
          1,
          "window-fnw: how long after its impression a positive still counts (in join.time; at least"
              + " join.window-ms); the impression's bytes are kept on disk until then");
  public static final Option<Long> JOIN_ALLOWED_LATENESS_MS =
      Option.longInteger(
          "join.allowed-lateness-ms",
          1_000,
          0,
          "event time: how far behind the newest event time seen on its partition an event or label may arrive"
              + " and still count (the watermarks trail by this much)");
  public static final Option<Long> JOIN_IDLE_MS =
      Option.longInteger(
          "join.idle-ms",
          5_000,
          1,
          "event time: a partition read live that has no records for this long stops holding windows open: an"
              + " events partition's watermark moves on with the wall clock, a labels partition is marked idle");
  public static final Option<Long> RESTART_MAX_BACKOFF_MS =
      Option.longInteger(
          "restart.max-backoff-ms",
          10_000,
          1,
          "after a failure the job restarts after 1 s, then 1.5 times longer after each further failure, up to"
              + " this (Flink's exponential-delay strategy; its own default, a minute, keeps a job down a"
              + " minute for each fault once faults come often)");
  public static final Option<Long> RESTART_RESET_AFTER_MS =
      Option.longInteger(
          "restart.reset-after-ms",
          300_000,
          1,
          "running this long without a failure brings the restart delay back to 1 s (Flink's default: an hour)");
  public static final Option<Long> CHECKPOINT_INTERVAL_MS =
      Option.longInteger(
          "checkpoint.interval-ms",
          1000,
          1,
          "the checkpoint interval: also how often scores become visible to read_committed consumers");
  public static final Option<String> CHECKPOINT_DIR =
      Option.optionalString(
          "checkpoint.dir",
          "checkpoint storage (a URI: file://, s3://, ...); unset: the cluster's default");
  public static final Option<String> CHECKPOINT_CHANGELOG =
      Option.oneOf(
          ai.hiformer.jobs.operators.ChangelogStorageCheck.CHANGELOG_KEY,
          "auto",
          "true (needs checkpoint.dir): a checkpoint writes the state changes since the previous one to a changelog"
              + " (checkpoint.dir/changelog) and RocksDB's files go up in the background once a minute, so an"
              + " exactly-once score waits for a checkpoint of about the second's changes; the cluster must keep the"
              + " changelog on a file system (state.changelog.storage: filesystem, dstl.dfs.base-path), and a resume"
              + " from a savepoint claims it (Flink's CLAIM mode). false: RocksDB's incremental checkpoints, which also"
              + " upload every file a compaction rewrote (at a million rows, 150 MB every ten or so checkpoints)."
              + " auto: true with scores.delivery=exactly-once, a checkpoint.dir and job.role=all, false otherwise",
          "auto",
          "true",
          "false");
  public static final Option<String> ROCKSDB_LOCAL_DIR =
      Option.optionalString(
          "state.rocksdb.localdir",
          "RocksDB's working directory (keep the path short); unset: Flink's default");
  public static final Option<Long> CHANGELOG_MATERIALIZE_INTERVAL_MS =
      Option.longInteger(
          "checkpoint.changelog.materialize-interval-ms",
          60_000,
          1000,
          "with checkpoint.changelog: how often RocksDB's files go up and the changelog before them is dropped,"
              + " which bounds what a restore replays and how far the checkpoint size swings");
  public static final Option<Integer> ROCKSDB_COMPACTION_TRIGGER_RUNS =
      Option.integer(
          "state.rocksdb.compaction-trigger-runs",
          16,
          2,
          64,
          "sorted runs (flushes not yet merged) that make RocksDB consider a merge: more costs less CPU, fewer"
              + " keeps the files closer to the live state");
  public static final Option<Integer> ROCKSDB_MAX_SIZE_AMPLIFICATION_PERCENT =
      Option.integer(
          "state.rocksdb.max-size-amplification-percent",
          200,
          1,
          "how far RocksDB's files may outgrow the live state before a full merge, percent: lower"
              + " keeps disk and checkpoint size steadier and costs more compaction");
  public static final Option<Integer> MAX_VALUE_CHARS =
      Option.integer(
          "validate.max-value-chars", 4096, 1, "events with a longer string are dead-lettered");
  public static final Option<Long> FAIL_ONCE_AFTER_RECORDS =
      Option.longInteger(
          "chaos.fail-once-after-records",
          0,
          0,
          "failure drill: the first attempt of each decode subtask fails after this many records (0 = off)");

  /** Every option of the job: those above, the record formats' and the learner's. */
  public static final List<Option<?>> ALL =
      concat(concat(Option.declaredIn(JobConfig.class), MappedRecords.OPTIONS), LearnerOptions.ALL);

  private final OptionValues values;
  private final LinkedHashMap<String, String> kafkaProperties;
  private final String modelConfig;

  private JobConfig(OptionValues values, Map<String, String> kafkaProperties, ModelConfig model) {
    this.values = values;
    this.kafkaProperties = new LinkedHashMap<>(kafkaProperties);
    this.modelConfig = model.toProperties();
    LearnerOptions.requireConsistent(values);
    if (values.get(JOIN_ATTRIBUTION_WINDOW_MS) < values.get(LABEL_WINDOW_MS)) {
      throw new IllegalArgumentException(
          "invalid "
              + JOIN_ATTRIBUTION_WINDOW_MS.key()
              + " = "
              + values.get(JOIN_ATTRIBUTION_WINDOW_MS)
              + "; allowed: at least "
              + LABEL_WINDOW_MS.key()
              + " ("
              + values.get(LABEL_WINDOW_MS)
              + ")");
    }
    if (values.get(CHECKPOINT_CHANGELOG).equals("true") && values.get(CHECKPOINT_DIR) == null) {
      throw new IllegalArgumentException(
          CHECKPOINT_CHANGELOG.key()
              + " = true needs "
              + CHECKPOINT_DIR.key()
              + ": the changelog is kept beside the checkpoints (allowed: "
              + CHECKPOINT_CHANGELOG.key()
              + " = auto or false, or a "
              + CHECKPOINT_DIR.key()
              + ")");
    }
    for (Option<String> format :
        List.of(MappedRecords.EVENTS_FORMAT, MappedRecords.LABELS_FORMAT)) {
      if (values.get(format).equals("avro-confluent")
          && values.get(MappedRecords.SCHEMA_REGISTRY_URL) == null) {
        throw new IllegalArgumentException(
            format.key()
                + " = avro-confluent needs "
                + MappedRecords.SCHEMA_REGISTRY_URL.key()
                + ": the registry its records' schema ids are looked up in (allowed: "
                + format.key()
                + " = avro or json, or a "
                + MappedRecords.SCHEMA_REGISTRY_URL.key()
                + ")");
      }
    }
    String role = values.get(ROLE);
    if (!role.equals("all")) {
      if (values.get(UPDATES_TOPIC) == null
          || values.get(LearnerOptions.SCORING_PARALLELISM) == 0) {
        throw new IllegalArgumentException(
            ROLE.key()
                + " = "
                + role
                + " needs "
                + UPDATES_TOPIC.key()
                + " and "
                + LearnerOptions.SCORING_PARALLELISM.key()
                + " > 0: the scoring job's replicas follow the learning job's"
                + " updates on that topic (allowed: "
                + ROLE.key()
                + " = all, or both set)");
      }
      if (role.equals("score") && values.get(BOUNDED)) {
        throw new IllegalArgumentException(
            ROLE.key()
                + " = score cannot be "
                + BOUNDED.key()
                + " = true: it"
                + " follows a learning job's updates, which do not end (allowed: "
                + BOUNDED.key()
                + " = false, or "
                + ROLE.key()
                + " = all or learn)");
      }
    }
  }

  /**
   * Whether checkpoints go through Flink's changelog state backend: {@code checkpoint.changelog},
   * where {@code auto} means exactly where a score waits for checkpoints (exactly-once delivery),
   * given a {@code checkpoint.dir} to keep the changelog beside. At-least-once scores are visible
   * before any checkpoint, so there the changelog would only add work: every state change written
   * twice, RocksDB's files uploaded anyway. Likewise for a job that only learns or only scores
   * ({@code job.role}): no score waits for the learning job's checkpoints, and the scoring job
   * keeps no keyed state.
   */
  public boolean changelogCheckpoints() {
    return switch (values.get(CHECKPOINT_CHANGELOG)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          values.get(ROLE).equals("all")
              && values.get(SCORES_DELIVERY).equals("exactly-once")
              && values.get(CHECKPOINT_DIR) != null;
    };
  }

  private static List<Option<?>> concat(List<Option<?>> a, List<Option<?>> b) {
    List<Option<?>> all = new ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  /** The value of any job or learner option. */
  public <T> T get(Option<T> option) {
    return values.get(option);
  }

  public FeatureSpec spec() {
    return FeatureSpec.parse(values.get(LearnerOptions.FEATURE_SPEC));
  }

  public ModelConfig model() {
    return ModelConfig.fromProperties(modelConfig);
  }

  /**
   * What the model operator needs of this configuration. Without {@code topics.model-updates}
   * nobody reads the base slices of the update stream (the job's own replicas never need them), so
   * none are made; {@code learn.late-positives} follows {@code join.mode}.
   */
  public LearnerOptions learnerOptions() {
    OptionValues.Builder b = OptionValues.builder(ALL);
    values.texts().forEach(b::setText);
    if (values.get(UPDATES_TOPIC) == null) {
      b.set(LearnerOptions.UPDATES_BASE_SLICES, 0);
    }
    // The join feeds late positives again exactly when it runs in window-fnw.
    b.set(LearnerOptions.LATE_POSITIVES, values.get(JOIN_MODE).equals("window-fnw"));
    return LearnerOptions.of(b.build(), model());
  }

  public OptimizerConfig optimizer() {
    return learnerOptions().optimizer();
  }

  /** The {@code kafka.property.*} settings, for every Kafka client of the job. */
  public java.util.Properties kafkaClientProperties() {
    java.util.Properties p = new java.util.Properties();
    p.putAll(kafkaProperties);
    return p;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Every option at its default until set; the brokers, the model ids, the spec and the model are
   * required.
   */
  public static final class Builder extends ModelOptionsBuilder<Builder> {
    private final Map<String, String> kafkaProperties = new LinkedHashMap<>();

    private Builder() {
      super(ALL);
    }

    public Builder kafkaProperty(String key, String value) {
      kafkaProperties.put(key, value);
      return this;
    }

    public JobConfig build() {
      return new JobConfig(values.build(), kafkaProperties, requireModelConfig());
    }
  }
}
