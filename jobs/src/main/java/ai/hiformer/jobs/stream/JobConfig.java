package ai.hiformer.jobs.stream;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.jobs.api.LearnerOptions;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything the streaming job needs, immutable and validated on construction (a bad value fails at
 * start-up naming its key and the allowed values). Serializable as plain strings so that Flink can ship
 * it to the task managers; the model configuration travels in its text form.
 */
public final class JobConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  public final String bootstrapServers;
  public final String eventsTopic;
  public final String labelsTopic;
  public final String scoresTopic;
  public final String deadLetterTopic;
  public final String groupId;
  public final String transactionalIdPrefix;
  public final TreeSet<String> modelIds;
  public final String specJson;
  public final String modelConfig;
  public final double denseLr;
  public final double embeddingLr;
  public final int microBatch;
  public final long flushIdleMillis;
  public final long labelWindowMillis;
  public final long checkpointIntervalMillis;
  public final int parallelism;
  public final boolean bounded;
  public final int maxValueChars;
  public final LinkedHashMap<String, String> kafkaProperties;
  public final String snapshotDir;
  public final long snapshotEveryExamples;
  public final long snapshotEveryEventTimeMillis;
  /** Full snapshot versions kept per model (older ones and their deltas are deleted). */
  public final int snapshotKeep;
  /** Incremental sync: publish a delta at most every this many ms, at checkpoints (0 = off). */
  public final long deltaIntervalMillis;
  /** Every n-th delta carries the dense weights too. */
  public final int denseEveryDeltas;
  /** Checkpoint storage (a URI: file://, s3://, …); null: the cluster's default. */
  public final String checkpointDir;
  /** RocksDB working directory (keep it short); null: Flink's default. */
  public final String rocksDbLocalDir;
  /** Failure drill: the first attempt of each decode subtask fails after this many records (0 = off). */
  public final long failOnceAfterRecords;

  private JobConfig(Builder b) {
    bootstrapServers = require(b.bootstrapServers, "kafka.bootstrap-servers");
    eventsTopic = require(b.eventsTopic, "topics.events");
    labelsTopic = require(b.labelsTopic, "topics.labels");
    scoresTopic = require(b.scoresTopic, "topics.scores");
    deadLetterTopic = require(b.deadLetterTopic, "topics.dead-letters");
    groupId = require(b.groupId, "kafka.group-id");
    transactionalIdPrefix = require(b.transactionalIdPrefix, "kafka.transactional-id-prefix");
    if (b.modelIds.isEmpty()) {
      throw new IllegalArgumentException("invalid job.model-ids = []; allowed: a non-empty list of model ids");
    }
    modelIds = new TreeSet<>(b.modelIds);
    FeatureSpec.parse(require(b.specJson, "job.feature-spec")); // fails now, naming the field, if invalid
    specJson = b.specJson;
    modelConfig = b.modelConfig.toProperties();
    OptimizerConfig.defaults().withDenseLr(b.denseLr).withEmbeddingLr(b.embeddingLr); // validates
    denseLr = b.denseLr;
    embeddingLr = b.embeddingLr;
    microBatch = (int) positive(b.microBatch, "learn.micro-batch");
    flushIdleMillis = positive(b.flushIdleMillis, "learn.flush-idle-ms");
    labelWindowMillis = positive(b.labelWindowMillis, "join.window-ms");
    checkpointIntervalMillis = positive(b.checkpointIntervalMillis, "checkpoint.interval-ms");
    parallelism = (int) positive(b.parallelism, "job.parallelism");
    bounded = b.bounded;
    maxValueChars = (int) positive(b.maxValueChars, "validate.max-value-chars");
    kafkaProperties = new LinkedHashMap<>(b.kafkaProperties);
    snapshotDir = b.snapshotDir;
    if (b.snapshotEveryExamples < 0 || b.snapshotEveryEventTimeMillis < 0) {
      throw new IllegalArgumentException("invalid snapshot.every-examples / snapshot.every-event-time-ms; allowed: >= 0 (0 = off)");
    }
    snapshotEveryExamples = b.snapshotEveryExamples;
    snapshotEveryEventTimeMillis = b.snapshotEveryEventTimeMillis;
    if (b.snapshotKeep < 2) {
      throw new IllegalArgumentException("invalid snapshot.keep = " + b.snapshotKeep + "; allowed: >= 2");
    }
    snapshotKeep = b.snapshotKeep;
    if (b.failOnceAfterRecords < 0) {
      throw new IllegalArgumentException("invalid chaos.fail-once-after-records = " + b.failOnceAfterRecords + "; allowed: >= 0");
    }
    failOnceAfterRecords = b.failOnceAfterRecords;
    checkpointDir = b.checkpointDir;
    rocksDbLocalDir = b.rocksDbLocalDir;
    if (b.deltaIntervalMillis < 0) {
      throw new IllegalArgumentException("invalid sync.delta-interval-ms = " + b.deltaIntervalMillis + "; allowed: >= 0 (0 = off)");
    }
    deltaIntervalMillis = b.deltaIntervalMillis;
    denseEveryDeltas = (int) positive(b.denseEveryDeltas, "sync.dense-every-deltas");
  }

  public FeatureSpec spec() {
    return FeatureSpec.parse(specJson);
  }

  public ModelConfig model() {
    return ModelConfig.fromProperties(modelConfig);
  }

  /** What the model operator needs of this configuration. */
  public LearnerOptions learnerOptions() {
    return LearnerOptions.builder().spec(specJson).model(model()).denseLr(denseLr).embeddingLr(embeddingLr)
        .microBatch(microBatch).flushIdleMillis(flushIdleMillis)
        .snapshots(snapshotDir, snapshotEveryExamples, snapshotEveryEventTimeMillis).keepSnapshots(snapshotKeep)
        .deltas(deltaIntervalMillis, denseEveryDeltas).build();
  }

  public OptimizerConfig optimizer() {
    return OptimizerConfig.defaults().withDenseLr(denseLr).withEmbeddingLr(embeddingLr);
  }

  public java.util.Properties kafkaClientProperties() {
    java.util.Properties p = new java.util.Properties();
    p.putAll(kafkaProperties);
    return p;
  }

  private static String require(String v, String key) {
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("missing " + key + "; allowed: a non-empty string");
    }
    return v;
  }

  private static long positive(long v, String key) {
    if (v <= 0) {
      throw new IllegalArgumentException("invalid " + key + " = " + v + "; allowed: > 0");
    }
    return v;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builder with the defaults of the embedded run. */
  public static final class Builder {
    private String bootstrapServers;
    private String eventsTopic = "events";
    private String labelsTopic = "labels";
    private String scoresTopic = "scores";
    private String deadLetterTopic = "dead-letters";
    private String groupId = "hiformer";
    private String transactionalIdPrefix = "hiformer-scores";
    private Set<String> modelIds = Set.of();
    private String specJson;
    private ModelConfig modelConfig;
    private double denseLr = 1e-3;
    private double embeddingLr = 0.05;
    private int microBatch = 256;
    private long flushIdleMillis = 1000;
    private long labelWindowMillis = 60_000;
    private long checkpointIntervalMillis = 2000;
    private int parallelism = 1;
    private boolean bounded;
    private int maxValueChars = 4096;
    private final Map<String, String> kafkaProperties = new LinkedHashMap<>();
    private String snapshotDir;
    private long snapshotEveryExamples = 10_000;
    private long snapshotEveryEventTimeMillis = 0;
    private int snapshotKeep = 3;
    private long failOnceAfterRecords = 0;
    private String checkpointDir;
    private String rocksDbLocalDir;
    private long deltaIntervalMillis = 0;
    private int denseEveryDeltas = 6;

    public Builder bootstrapServers(String v) { bootstrapServers = v; return this; }
    public Builder eventsTopic(String v) { eventsTopic = v; return this; }
    public Builder labelsTopic(String v) { labelsTopic = v; return this; }
    public Builder scoresTopic(String v) { scoresTopic = v; return this; }
    public Builder deadLetterTopic(String v) { deadLetterTopic = v; return this; }
    public Builder groupId(String v) { groupId = v; return this; }
    public Builder transactionalIdPrefix(String v) { transactionalIdPrefix = v; return this; }
    public Builder modelIds(Set<String> v) { modelIds = Set.copyOf(v); return this; }
    public Builder specJson(String v) { specJson = v; return this; }
    public Builder modelConfig(ModelConfig v) { modelConfig = v; return this; }
    public Builder denseLr(double v) { denseLr = v; return this; }
    public Builder embeddingLr(double v) { embeddingLr = v; return this; }
    public Builder microBatch(int v) { microBatch = v; return this; }
    public Builder flushIdleMillis(long v) { flushIdleMillis = v; return this; }
    public Builder labelWindowMillis(long v) { labelWindowMillis = v; return this; }
    public Builder checkpointIntervalMillis(long v) { checkpointIntervalMillis = v; return this; }
    public Builder parallelism(int v) { parallelism = v; return this; }
    public Builder bounded(boolean v) { bounded = v; return this; }
    public Builder maxValueChars(int v) { maxValueChars = v; return this; }
    public Builder kafkaProperty(String k, String v) { kafkaProperties.put(k, v); return this; }
    /** Where snapshots go; null: no snapshots. */
    public Builder snapshotDir(String v) { snapshotDir = v; return this; }
    public Builder snapshotEveryExamples(long v) { snapshotEveryExamples = v; return this; }
    public Builder snapshotEveryEventTimeMillis(long v) { snapshotEveryEventTimeMillis = v; return this; }
    public Builder snapshotKeep(int v) { snapshotKeep = v; return this; }
    public Builder failOnceAfterRecords(long v) { failOnceAfterRecords = v; return this; }
    public Builder checkpointDir(String v) { checkpointDir = v; return this; }
    public Builder rocksDbLocalDir(String v) { rocksDbLocalDir = v; return this; }
    public Builder deltaIntervalMillis(long v) { deltaIntervalMillis = v; return this; }
    public Builder denseEveryDeltas(int v) { denseEveryDeltas = v; return this; }

    public JobConfig build() {
      if (modelConfig == null) {
        throw new IllegalArgumentException("missing model configuration (model.*)");
      }
      return new JobConfig(this);
    }
  }
}
