package ai.hiformer.jobs.api;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.optim.OptimizerConfig;
import java.io.Serializable;

/**
 * How the model operator learns, scores and publishes: the feature spec, the model, the optimiser rates, the
 * micro-batch, the idle flush, and where and when snapshots and deltas go. Immutable and validated on
 * construction (a bad value fails naming it); serializable as plain strings and numbers so that Flink can ship
 * it with the job.
 */
public final class LearnerOptions implements Serializable {
  private static final long serialVersionUID = 1L;

  public final String specJson;
  /** {@link ModelConfig#toProperties()} text. */
  public final String modelConfig;
  public final double denseLr;
  public final double embeddingLr;
  /** Labelled examples per optimiser step. */
  public final int microBatch;
  /** A partial micro-batch is trained once no event arrived for this long (processing time). */
  public final long flushIdleMillis;
  /** Where snapshots and deltas go; null: none. */
  public final String snapshotDir;
  public final long snapshotEveryExamples;
  public final long snapshotEveryEventTimeMillis;
  /** Full snapshot versions kept per model; older ones and their deltas are deleted. */
  public final int snapshotKeep;
  /** Deltas at checkpoints at most this often (0: none). */
  public final long deltaIntervalMillis;
  /** Every n-th delta carries the dense weights too. */
  public final int denseEveryDeltas;

  private LearnerOptions(Builder b) {
    if (b.specJson == null) {
      throw new IllegalArgumentException("missing feature spec");
    }
    FeatureSpec.parse(b.specJson); // fails naming what is wrong
    if (b.modelConfig == null) {
      throw new IllegalArgumentException("missing model configuration");
    }
    require(b.microBatch >= 1, "learn.micro-batch", b.microBatch, ">= 1");
    require(b.flushIdleMillis >= 1, "learn.flush-idle-ms", b.flushIdleMillis, ">= 1");
    require(b.denseLr > 0 && Double.isFinite(b.denseLr), "optimizer.dense-lr", b.denseLr, "> 0");
    require(b.embeddingLr > 0 && Double.isFinite(b.embeddingLr), "optimizer.embedding-lr", b.embeddingLr, "> 0");
    require(b.snapshotEveryExamples >= 0, "snapshot.every-examples", b.snapshotEveryExamples, ">= 0");
    require(b.snapshotEveryEventTimeMillis >= 0, "snapshot.every-event-time-ms", b.snapshotEveryEventTimeMillis,
        ">= 0");
    require(b.snapshotKeep >= 2, "snapshot.keep", b.snapshotKeep, ">= 2");
    require(b.deltaIntervalMillis >= 0, "sync.delta-interval-ms", b.deltaIntervalMillis, ">= 0");
    require(b.denseEveryDeltas >= 1, "sync.dense-every-deltas", b.denseEveryDeltas, ">= 1");
    specJson = b.specJson;
    modelConfig = b.modelConfig.toProperties();
    denseLr = b.denseLr;
    embeddingLr = b.embeddingLr;
    microBatch = b.microBatch;
    flushIdleMillis = b.flushIdleMillis;
    snapshotDir = b.snapshotDir;
    snapshotEveryExamples = b.snapshotEveryExamples;
    snapshotEveryEventTimeMillis = b.snapshotEveryEventTimeMillis;
    snapshotKeep = b.snapshotKeep;
    deltaIntervalMillis = b.deltaIntervalMillis;
    denseEveryDeltas = b.denseEveryDeltas;
  }

  private static void require(boolean ok, String key, Object value, String allowed) {
    if (!ok) {
      throw new IllegalArgumentException("invalid " + key + " = " + value + "; allowed: " + allowed);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public FeatureSpec spec() {
    return FeatureSpec.parse(specJson);
  }

  public ModelConfig model() {
    return ModelConfig.fromProperties(modelConfig);
  }

  public OptimizerConfig optimizer() {
    return OptimizerConfig.defaults().withDenseLr(denseLr).withEmbeddingLr(embeddingLr);
  }

  /** Defaults: micro-batch 256, idle flush 1 s, the protocol's learning rates, no snapshots, no deltas. */
  public static final class Builder {
    private String specJson;
    private ModelConfig modelConfig;
    private double denseLr = OptimizerConfig.defaults().denseLr();
    private double embeddingLr = OptimizerConfig.defaults().embeddingLr();
    private int microBatch = 256;
    private long flushIdleMillis = 1000;
    private String snapshotDir;
    private long snapshotEveryExamples = 10_000;
    private long snapshotEveryEventTimeMillis;
    private int snapshotKeep = 3;
    private long deltaIntervalMillis;
    private int denseEveryDeltas = 6;

    public Builder spec(String json) { specJson = json; return this; }
    public Builder model(ModelConfig v) { modelConfig = v; return this; }
    public Builder denseLr(double v) { denseLr = v; return this; }
    public Builder embeddingLr(double v) { embeddingLr = v; return this; }
    public Builder microBatch(int v) { microBatch = v; return this; }
    public Builder flushIdleMillis(long v) { flushIdleMillis = v; return this; }
    /** Snapshots under {@code dir} every {@code everyExamples} trained examples or {@code everyEventTimeMillis}. */
    public Builder snapshots(String dir, long everyExamples, long everyEventTimeMillis) {
      snapshotDir = dir;
      snapshotEveryExamples = everyExamples;
      snapshotEveryEventTimeMillis = everyEventTimeMillis;
      return this;
    }
    /** How many full snapshot versions to keep per model (default 3, at least 2). */
    public Builder keepSnapshots(int versions) {
      snapshotKeep = versions;
      return this;
    }
    /** Deltas between full snapshots at checkpoints, at most every {@code intervalMillis}. */
    public Builder deltas(long intervalMillis, int denseEvery) {
      deltaIntervalMillis = intervalMillis;
      denseEveryDeltas = denseEvery;
      return this;
    }

    public LearnerOptions build() {
      return new LearnerOptions(this);
    }
  }
}
