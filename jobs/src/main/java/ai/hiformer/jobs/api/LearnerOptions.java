package ai.hiformer.jobs.api;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.config.Option;
import ai.hiformer.model.config.OptionValues;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.PeerExchange;
import java.io.Serializable;
import java.util.List;

/**
 * How the model operator learns, scores and publishes: the feature spec, the model, the optimiser
 * rates, the micro-batch, the idle flush, and where and when snapshots and deltas go. Each option
 * is declared once below (key, default, allowed values, meaning); the job's properties file uses
 * the same keys. Immutable and validated on construction (a bad value fails naming its key);
 * serializable as plain strings so that Flink can ship it.
 */
public final class LearnerOptions implements Serializable {
  private static final long serialVersionUID = 2L;

  public static final Option<String> FEATURE_SPEC =
      Option.fileContents(
          "job.feature-spec",
          FeatureSpec::parse,
          "a feature spec (JSON; in a properties file, its path)",
          "which fields the model reads and how");
  public static final Option<Double> DENSE_LR =
      Option.positive(
          "optimizer.dense-lr",
          OptimizerConfig.defaults().denseLr(),
          "Adam's learning rate for the dense weights");
  public static final Option<Double> EMBEDDING_LR =
      Option.positive(
          "optimizer.embedding-lr",
          OptimizerConfig.defaults().embeddingLr(),
          "Adagrad's learning rate for the embedding rows");
  public static final Option<Integer> MICRO_BATCH =
      Option.integer("learn.micro-batch", 256, 1, "labelled examples per optimiser step");
  public static final Option<Integer> THREADS =
      Option.integer(
          "learn.threads",
          1,
          1,
          64,
          "threads each training step's forward and backward passes are split over (data parallelism inside the"
              + " learner; the result equals 1 thread up to float rounding); not for a blend");
  public static final Option<Integer> PARALLELISM =
      Option.integer(
          "learn.parallelism",
          1,
          1,
          64,
          "learners of one model id, each on its share of the examples (by request id), exchanging what they"
              + " learnt through topics.learner-exchange every learn.sync-examples examples; > 1 needs"
              + " scoring.parallelism > 0 and hashed keys in every field of the spec (docs/DESIGN.md §2)");
  public static final Option<Integer> SYNC_EXAMPLES =
      Option.integer(
          "learn.sync-examples",
          256,
          1,
          "with learn.parallelism > 1: examples of the whole stream between exchanges (each learner sends after"
              + " its share, this / learn.parallelism)");
  public static final Option<PeerExchange.Merge> EXCHANGE =
      Option.of(
          "learn.exchange",
          PeerExchange.Merge.WEIGHTS,
          s -> PeerExchange.Merge.valueOf(s.toUpperCase(java.util.Locale.ROOT)),
          m -> m.name().toLowerCase(java.util.Locale.ROOT),
          "weights, gradients",
          "with learn.parallelism > 1: what the learners merge. weights: the mean of the learners' own steps;"
              + " gradients: the optimiser steps one learner would take, step by step with the learners' mean"
              + " gradients, exact when every exchange covers one step of each learner (docs/DESIGN.md §2)");
  public static final Option<Long> SYNC_WAIT_MS =
      Option.longInteger(
          "learn.sync-wait-ms",
          100,
          0,
          "with learn.parallelism > 1: how long a learner a whole exchange period ahead of a peer on another"
              + " subtask waits for that peer's delta before it learns on (0: never waits); bounds the staleness"
              + " a catch-up or a slow peer would add");
  public static final Option<Double> NEGATIVE_SAMPLING =
      Option.of(
          "learn.negative-sampling",
          1.0,
          LearnerOptions::keepRate,
          String::valueOf,
          "a number in (0, 1]",
          "the share of negatives learned (each task's negative kept by a hash of its request id, so a replay"
              + " keeps the same ones); the model corrects for it, so scores stay at the true base rate");
  public static final Option<Boolean> LATE_POSITIVES =
      Option.bool(
          "learn.late-positives",
          false,
          "the learner is also fed positives that arrived after their window, again (EventMapping.latePositive):"
              + " every example is weighted with fake-negative weights for the wait, the late share counted"
              + " as they come; the streaming job sets it from join.mode");
  public static final Option<Long> FLUSH_IDLE_MS =
      Option.longInteger(
          "learn.flush-idle-ms",
          1000,
          1,
          "a partial micro-batch is trained once no event arrived for this long (processing time)");
  public static final Option<String> SNAPSHOT_DIR =
      Option.optionalString(
          "snapshot.dir", "where snapshots and deltas for serving go (unset: none)");
  public static final Option<Long> SNAPSHOT_EVERY_EXAMPLES =
      Option.longInteger(
          "snapshot.every-examples",
          10_000,
          0,
          "a full snapshot every this many trained examples (0 = off), only for checkpointed state");
  public static final Option<Long> SNAPSHOT_EVERY_EVENT_TIME_MS =
      Option.longInteger(
          "snapshot.every-event-time-ms",
          0,
          0,
          "a full snapshot every this much event time (0 = off)");
  public static final Option<Integer> SNAPSHOT_KEEP =
      Option.integer(
          "snapshot.keep",
          3,
          2,
          "full snapshot versions kept per model; older ones and their deltas are deleted once a newer one is complete");
  public static final Option<Integer> QUALITY_WINDOW =
      Option.integer(
          "quality.window",
          4096,
          0,
          "the quality gate's reference: the labelled examples recent when a version is published, on which a"
              + " later version must rank within quality.auc-margin of it to be published (0 = no gate)");
  public static final Option<Double> QUALITY_AUC_MARGIN =
      Option.positive(
          "quality.auc-margin",
          0.05,
          "a version is held back when its AUC on the served version's reference falls more than this below"
              + " the AUC the model reached on those examples before it learned them");
  public static final Option<Long> QUALITY_MAX_HELD_EXAMPLES =
      Option.longInteger(
          "quality.max-held-examples",
          0,
          0,
          "after this many labelled examples held back, accept the model's new level and publish (0 = hold until it"
              + " recovers)");
  public static final Option<Long> DELTA_INTERVAL_MS =
      Option.longInteger(
          "sync.delta-interval-ms",
          10_000,
          0,
          "between full snapshots, publish the changed rows at checkpoints at most every this many ms (0 = off)");
  public static final Option<Integer> DENSE_EVERY_DELTAS =
      Option.integer(
          "sync.dense-every-deltas", 6, 1, "every n-th delta also carries the dense weights");

  public static final Option<Long> UPDATES_INTERVAL_MS =
      Option.longInteger(
          "updates.interval-ms",
          1000,
          0,
          "publish model updates for scoring replicas (changed rows and vocabulary owners, dense weights, version) at"
              + " most every this many ms, a full one first (0 = off)");

  public static final Option<Integer> UPDATES_BASE_SLICES =
      Option.integer(
          "updates.base-slices",
          60,
          0,
          "the update stream carries a base (every row, owner and dense weight) spread over this many updates, one"
              + " slice after each, from which a reader joining late assembles its model (0 = none)");

  public static final Option<Integer> SCORING_PARALLELISM =
      Option.integer(
          "scoring.parallelism",
          1,
          0,
          "0: the learner scores each event with its newest model, on its own thread; n > 0: n scoring subtasks score"
              + " every event on arrival with read-only replicas kept current by the model updates (needs"
              + " updates.interval-ms > 0), so that a training step or a learner checkpoint never delays a score");

  public static final Option<Integer> SCORING_BATCH_WAIT_MS =
      Option.integer(
          "scoring.batch-wait-ms",
          1,
          0,
          1000,
          "with scoring replicas, how long an event may wait to be scored together with the events that arrive"
              + " after it: a scorer stages events only while they arrive fast enough to fill a batch of 4 in that"
              + " time (about 4,000 events/s a subtask at 1 ms), and scores them in one pass, reading the model"
              + " once for all; slower, each is scored on arrival. 0: every event on arrival");

  public static final Option<Integer> LEARN_NICENESS =
      Option.integer(
          "learn.niceness",
          10,
          0,
          19,
          "with scoring replicas (scoring.parallelism > 0), the learner's task thread (and the threads it starts: its"
              + " checkpoints' async part) runs at this nice value (Linux; 0 = as the TaskManager, 19 = lowest): where"
              + " learner and scorers share cores, a score then waits less for a training step or a learner"
              + " checkpoint; learning still uses every idle cycle and falls behind only under overload");

  /** Every option above. */
  public static final List<Option<?>> ALL = Option.declaredIn(LearnerOptions.class);

  private final OptionValues values;

  /** {@link ModelConfig#toProperties()} text. */
  private final String modelConfig;

  private LearnerOptions(OptionValues values, String modelConfig) {
    this.values = values;
    this.modelConfig = modelConfig;
    requireConsistent(values);
    if (values.get(THREADS) > 1 && !model().members().isEmpty()) {
      throw new IllegalArgumentException(
          "invalid "
              + THREADS.key()
              + " = "
              + values.get(THREADS)
              + " for the blend "
              + model().name()
              + "; allowed: 1 (a blend learns on one thread)");
    }
  }

  /** Checks what no single option can: scoring replicas live on the model updates. */
  public static void requireConsistent(OptionValues values) {
    int learners = values.get(PARALLELISM);
    if (learners > 1 && values.get(SCORING_PARALLELISM) == 0) {
      throw new IllegalArgumentException(
          PARALLELISM.key()
              + " = "
              + learners
              + " needs "
              + SCORING_PARALLELISM.key()
              + " > 0: learners do not score (allowed: "
              + PARALLELISM.key()
              + " = 1, or scoring replicas)");
    }
    if (learners > 1) {
      FeatureSpec spec = FeatureSpec.parse(values.get(FEATURE_SPEC));
      for (var field : spec.fields()) {
        if (field.kind() != ai.hiformer.features.spec.FieldKind.NUMERIC
            && !field.embedding().hashed()) {
          throw new IllegalArgumentException(
              PARALLELISM.key()
                  + " = "
                  + learners
                  + " needs hashed keys (\"embedding\": {\"keys\": \"hashed\"}) in every field: field "
                  + field.name()
                  + " has exact keys, whose ids each learner would assign in its own order"
                  + " (allowed: "
                  + PARALLELISM.key()
                  + " = 1)");
        }
      }
    }
    if (values.get(SCORING_PARALLELISM) > 0 && values.get(UPDATES_INTERVAL_MS) <= 0) {
      throw new IllegalArgumentException(
          SCORING_PARALLELISM.key()
              + " = "
              + values.get(SCORING_PARALLELISM)
              + " needs "
              + UPDATES_INTERVAL_MS.key()
              + " > 0: scoring replicas are kept current by the model updates"
              + " (allowed: "
              + SCORING_PARALLELISM.key()
              + " = 0, or an update interval such as 1000)");
    }
  }

  /** These options, from a larger set of values that holds them (the job's configuration). */
  public static LearnerOptions of(OptionValues values, ModelConfig model) {
    return new LearnerOptions(values.restrictedTo(ALL), model.toProperties());
  }

  public <T> T get(Option<T> option) {
    return values.get(option);
  }

  public static Builder builder() {
    return new Builder();
  }

  public FeatureSpec spec() {
    return FeatureSpec.parse(values.get(FEATURE_SPEC));
  }

  public ModelConfig model() {
    return ModelConfig.fromProperties(modelConfig);
  }

  public OptimizerConfig optimizer() {
    return OptimizerConfig.defaults()
        .withDenseLr(values.get(DENSE_LR))
        .withEmbeddingLr(values.get(EMBEDDING_LR));
  }

  /** Options at their defaults until set; the spec and the model are required. */
  public static final class Builder extends ModelOptionsBuilder<Builder> {
    private Builder() {
      super(ALL);
    }

    /** The feature spec's JSON. */
    public Builder spec(String json) {
      return set(FEATURE_SPEC, json);
    }

    public LearnerOptions build() {
      return new LearnerOptions(values.build(), requireModelConfig().toProperties());
    }
  }

  private static double keepRate(String text) {
    double r = Double.parseDouble(text);
    if (!(r > 0 && r <= 1)) {
      throw new IllegalArgumentException("out of range");
    }
    return r;
  }
}
