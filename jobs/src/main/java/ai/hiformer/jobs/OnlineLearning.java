package ai.hiformer.jobs;

import ai.hiformer.jobs.api.EventMapping;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PeerChannel;
import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.jobs.api.Rejected;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.jobs.operators.LearnerKeys;
import ai.hiformer.jobs.operators.ModelFunction;
import ai.hiformer.jobs.operators.ModelOperator;
import ai.hiformer.jobs.operators.ScoringFunction;
import ai.hiformer.jobs.operators.ScoringOperator;
import java.util.HashSet;
import java.util.Set;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.Collector;

/**
 * Online learning and scoring as a step of any Flink job, on the user's own event type:
 *
 * <pre>{@code
 * DataStream<Click> clicks = ...;
 * LearningStreams out = OnlineLearning.scoreAndLearn(clicks, new ClickMapping(),
 *     LearnerOptions.builder().spec(specJson).modelConfig(ModelConfig.builder(ModelKind.HIFORMER).build()).build());
 * out.scores().sinkTo(...);
 * out.rejected().sinkTo(...);
 * }</pre>
 *
 * Every event is scored on arrival; labelled events are learned from in micro-batches (predict,
 * then train) by the learner, keyed by model id, whose models live in keyed state, are checkpointed
 * with the job, and are written as snapshots for serving once their checkpoint completes (when
 * {@link LearnerOptions} names a folder). Who scores is {@code scoring.parallelism}: 0, the learner
 * itself with its newest model (uid {@code "model"}); n > 0, a scoring operator of n subtasks (uid
 * {@code "scoring"}) holding read-only replicas that the learner's model updates keep current, so
 * that scoring never waits for learning. Savepoints keep both uids.
 */
public final class OnlineLearning {
  /** Events whose features the spec could not read. */
  public static final org.apache.flink.util.OutputTag<Rejected> REJECTED = ModelFunction.REJECTED;

  /**
   * The learner's model updates ({@code updates.interval-ms} > 0): for scoring replicas and
   * servers.
   */
  public static final org.apache.flink.util.OutputTag<PublishedUpdate> UPDATES =
      ModelFunction.UPDATES;

  /**
   * How long records bound only for the learner may wait in a network buffer when replicas score
   * (ms): learning is not latency-bound, and fuller buffers cost less than flushing every record as
   * the scoring path does.
   */
  public static final long LEARNING_BUFFER_TIMEOUT_MS = 50;

  private OnlineLearning() {}

  /** Keys {@code events} by model id, scores each one and learns from the labelled ones. */
  public static <T> LearningStreams scoreAndLearn(
      DataStream<T> events, EventMapping<T> mapping, LearnerOptions options) {
    return build(events, events, null, mapping, options, null);
  }

  /**
   * Scores {@code toScore} with replicas and learns from {@code toLearn}, two readings of the same
   * events (for example two sources on one topic, the second also carrying labels joined later);
   * needs {@code scoring.parallelism} > 0. With one stream for both, a learner that falls behind (a
   * long training step or checkpoint) holds back the shared upstream once the network buffers
   * between them are full, which is within milliseconds at a high rate, and scores wait with it;
   * with two sources, the learner's lag stays in Kafka.
   */
  public static <T> LearningStreams scoreAndLearn(
      DataStream<T> toScore,
      DataStream<T> toLearn,
      EventMapping<T> mapping,
      LearnerOptions options) {
    if (options.get(LearnerOptions.SCORING_PARALLELISM) == 0) {
      throw new IllegalArgumentException(
          "separate streams to score and to learn need "
              + LearnerOptions.SCORING_PARALLELISM.key()
              + " > 0 (at 0 the learner scores what it learns from)");
    }
    return build(toScore, toLearn, null, mapping, options, null);
  }

  /**
   * {@link #scoreAndLearn(DataStream, DataStream, EventMapping, LearnerOptions)} with a third
   * stream of examples that already carry their labels, for example a label join's output: they go
   * to the learner without passing the filter that drops {@code toLearn}'s unlabelled events, so
   * they cross one network edge to it rather than two.
   */
  public static <T> LearningStreams scoreAndLearn(
      DataStream<T> toScore,
      DataStream<T> toLearn,
      DataStream<T> labelled,
      EventMapping<T> mapping,
      LearnerOptions options) {
    return scoreAndLearn(toScore, toLearn, labelled, mapping, options, null);
  }

  /**
   * {@link #scoreAndLearn(DataStream, DataStream, DataStream, EventMapping, LearnerOptions)} with
   * the channel several learners of a model exchange their deltas through ({@code
   * learn.parallelism} > 1; null otherwise).
   */
  public static <T> LearningStreams scoreAndLearn(
      DataStream<T> toScore,
      DataStream<T> toLearn,
      DataStream<T> labelled,
      EventMapping<T> mapping,
      LearnerOptions options,
      PeerChannel.Factory peers) {
    requireReplicas(options, "separate streams to score and to learn");
    return build(toScore, toLearn, labelled, mapping, options, peers);
  }

  /**
   * The learner alone, for a job that only learns ({@code job.role=learn}): learns from {@code
   * toLearn} and publishes model updates, which a separate scoring job follows ({@link
   * #scoreWithReplicas}); needs {@code scoring.parallelism} > 0 (the scoring job's). Its scores
   * stream is empty: the learner scores nothing.
   */
  public static <T> LearningStreams learn(
      DataStream<T> toLearn, EventMapping<T> mapping, LearnerOptions options) {
    return learn(toLearn, null, mapping, options);
  }

  /**
   * {@link #learn(DataStream, EventMapping, LearnerOptions)} with a second stream of examples that
   * already carry their labels (a label join's output), which skip the filter on {@code toLearn}.
   */
  public static <T> LearningStreams learn(
      DataStream<T> toLearn,
      DataStream<T> labelled,
      EventMapping<T> mapping,
      LearnerOptions options) {
    return learn(toLearn, labelled, mapping, options, null);
  }

  /**
   * {@link #learn(DataStream, DataStream, EventMapping, LearnerOptions)} with the channel several
   * learners of a model exchange their deltas through ({@code learn.parallelism} > 1; null
   * otherwise).
   */
  public static <T> LearningStreams learn(
      DataStream<T> toLearn,
      DataStream<T> labelled,
      EventMapping<T> mapping,
      LearnerOptions options,
      PeerChannel.Factory peers) {
    requireReplicas(options, "a learner without scoring");
    SingleOutputStreamOperator<Scored> learner =
        learner(toLearn, labelled, mapping, options, peers);
    return new LearningStreams(
        learner, learner.getSideOutput(REJECTED), learner.getSideOutput(UPDATES));
  }

  /**
   * Scoring alone, for a job that only scores ({@code job.role=score}): replicas score {@code
   * events}, kept current by {@code updates}, a learner's model updates in the order it published
   * them (whole, as {@link #learn}'s, for example read back from the update topic). Scoring
   * subtasks: {@code scoring.parallelism}. A replica starts at a full update or assembles a base
   * from its slices (a reader that joins late); events of a model without a whole replica wait for
   * one. Its updates stream is {@code updates} as given.
   */
  public static <T> LearningStreams scoreWithReplicas(
      DataStream<T> events,
      DataStream<PublishedUpdate> updates,
      EventMapping<T> mapping,
      LearnerOptions options) {
    requireReplicas(options, "scoring with replicas");
    SingleOutputStreamOperator<Scored> scores = replicaScores(events, updates, mapping, options);
    return new LearningStreams(scores, scores.getSideOutput(REJECTED), updates);
  }

  private static void requireReplicas(LearnerOptions options, String what) {
    if (options.get(LearnerOptions.SCORING_PARALLELISM) == 0) {
      throw new IllegalArgumentException(
          what
              + " needs "
              + LearnerOptions.SCORING_PARALLELISM.key()
              + " > 0 (at 0"
              + " the learner scores what it learns from)");
    }
  }

  private static <T> LearningStreams build(
      DataStream<T> events,
      DataStream<T> toLearn,
      DataStream<T> labelled,
      EventMapping<T> mapping,
      LearnerOptions options,
      PeerChannel.Factory peers) {
    int scorers = options.get(LearnerOptions.SCORING_PARALLELISM);
    SingleOutputStreamOperator<Scored> learner =
        learner(scorers == 0 ? events : toLearn, labelled, mapping, options, peers);
    DataStream<PublishedUpdate> updates = learner.getSideOutput(UPDATES);
    if (scorers == 0) {
      return new LearningStreams(learner, learner.getSideOutput(REJECTED), updates);
    }
    SingleOutputStreamOperator<Scored> scores =
        replicaScores(
            events, learner.getSideOutput(ModelFunction.REPLICA_UPDATES), mapping, options);
    return new LearningStreams(
        scores, scores.getSideOutput(REJECTED).union(learner.getSideOutput(REJECTED)), updates);
  }

  /**
   * The learner, keyed by model id; with replicas it sees only what it learns from ({@link
   * LearnerInput}), and all of {@code labelled} (null: none) besides.
   */
  private static <T> SingleOutputStreamOperator<Scored> learner(
      DataStream<T> toLearn,
      DataStream<T> labelled,
      EventMapping<T> mapping,
      LearnerOptions options,
      PeerChannel.Factory peers) {
    boolean replicas = options.get(LearnerOptions.SCORING_PARALLELISM) > 0;
    DataStream<T> filtered =
        !replicas
            ? toLearn
            : toLearn
                .filter(new LearnerInput<>(mapping))
                .name("labelled + model ids")
                .setBufferTimeout(LEARNING_BUFFER_TIMEOUT_MS);
    DataStream<T> toLearner = labelled == null ? filtered : filtered.union(labelled);
    int learners = options.get(LearnerOptions.PARALLELISM);
    // Several learners' keys are placed by key group (LearnerPeers.key), so the operator's key
    // groups are set to what Flink would pick by default, rather than left for it to pick later.
    var env = toLearner.getExecutionEnvironment();
    int maxParallelism =
        env.getConfig().getMaxParallelism() > 0
            ? env.getConfig().getMaxParallelism()
            : KeyGroupRangeAssignment.computeDefaultMaxParallelism(
                Math.max(1, env.getParallelism()));
    SingleOutputStreamOperator<Scored> learnt =
        toLearner
            .keyBy(
                learners > 1
                    ? new LearnerKeyOf<>(mapping, new LearnerKeys(learners, maxParallelism))
                    : new ModelIdOf<>(mapping),
                Types.STRING)
            .transform(
                replicas ? "learn" : "score + learn",
                TypeInformation.of(Scored.class),
                new ModelOperator<>(new ModelFunction<>(options, mapping), peers))
            .uid("model");
    if (learners > 1) {
      learnt.setMaxParallelism(maxParallelism);
    }
    return learnt;
  }

  private static <T> SingleOutputStreamOperator<Scored> replicaScores(
      DataStream<T> events,
      DataStream<PublishedUpdate> updates,
      EventMapping<T> mapping,
      LearnerOptions options) {
    int scorers = options.get(LearnerOptions.SCORING_PARALLELISM);
    // Every scoring subtask needs every update, but not over a broadcast edge: Flink checkpoints an
    // operator with a broadcast, pointwise (forward) or custom-partitioned input aligned on all its
    // inputs, so the scorer's events would wait, at each checkpoint, until the learner passed the
    // barrier on (after its training step and its snapshot: seconds at a million rows). Instead
    // each update is sent once per scoring subtask over a round-robin (rebalance) edge: as nothing
    // else travels on that edge, any run of N consecutive records visits each of the N channels
    // once, so every subtask receives every update, in order. Both inputs then checkpoint
    // unaligned: barriers overtake queued records and scoring goes on. Not keyed either: a keyed
    // scorer would get a RocksDB state backend of its own (empty, its only state being the events
    // that wait for a model), and a RocksDB backend's synchronous snapshot waited, at 1 M ids, as
    // long as the learner's memtable flush.
    return events
        .rebalance()
        .connect(toEveryScorer(updates, scorers))
        .transform(
            "score (replicas)",
            TypeInformation.of(Scored.class),
            new ScoringOperator<>(new ScoringFunction<>(options, mapping, events.getType())))
        .setParallelism(scorers)
        .uid("scoring")
        .name("score (replicas)");
  }

  /**
   * {@code updates} on an edge to {@code scorers} subtasks, each of which receives every update in
   * order.
   */
  static DataStream<PublishedUpdate> toEveryScorer(
      DataStream<PublishedUpdate> updates, int scorers) {
    // At the publisher's parallelism, so that it is chained to it: a rebalance between the two
    // would spread one model's updates over several copiers, and their copies would reach a scorer
    // out of order.
    return updates
        .flatMap(new CopyPerScorer(scorers))
        .returns(TypeInformation.of(PublishedUpdate.class))
        .setParallelism(updates.getParallelism())
        .name("updates per scorer")
        .rebalance();
  }

  /**
   * N copies of each update for N scoring subtasks, sent one after another on a round-robin edge
   * (so one to each subtask). The copies share the update's bytes.
   */
  private static final class CopyPerScorer
      implements FlatMapFunction<PublishedUpdate, PublishedUpdate> {
    private static final long serialVersionUID = 1L;
    private final int scorers;

    CopyPerScorer(int scorers) {
      this.scorers = scorers;
    }

    @Override
    public void flatMap(PublishedUpdate update, Collector<PublishedUpdate> out) {
      for (int i = 0; i < scorers; i++) {
        out.collect(update);
      }
    }
  }

  /**
   * What the learner needs when replicas score: labelled examples, and the first event of each
   * model id that this subtask sees (so that a model that has only unlabelled events so far still
   * exists and publishes).
   */
  private static final class LearnerInput<T> implements FilterFunction<T> {
    private static final long serialVersionUID = 1L;
    private final EventMapping<T> mapping;
    private transient Set<String> seen;

    LearnerInput(EventMapping<T> mapping) {
      this.mapping = mapping;
    }

    @Override
    public boolean filter(T event) {
      if (!mapping.score(event) || !mapping.labels(event).isEmpty()) {
        return true;
      }
      if (seen == null) {
        seen = new HashSet<>();
      }
      return seen.add(mapping.modelId(event));
    }
  }

  /**
   * The key of one learner of several ({@code learn.parallelism} > 1): the model id and the
   * learner's index ({@link EventMapping#learner}).
   */
  private static final class LearnerKeyOf<T> implements KeySelector<T, String> {
    private static final long serialVersionUID = 1L;
    private final EventMapping<T> mapping;
    private final LearnerKeys keys;

    LearnerKeyOf(EventMapping<T> mapping, LearnerKeys keys) {
      this.mapping = mapping;
      this.keys = keys;
    }

    @Override
    public String getKey(T event) {
      return keys.of(mapping.modelId(event), mapping.learner(event, keys.learners()));
    }
  }

  /**
   * The key: the mapping's model id (a class, so that Flink knows the key type without a lambda's
   * erasure).
   */
  private static final class ModelIdOf<T> implements KeySelector<T, String> {
    private static final long serialVersionUID = 1L;
    private final EventMapping<T> mapping;

    ModelIdOf(EventMapping<T> mapping) {
      this.mapping = mapping;
    }

    @Override
    public String getKey(T event) {
      return mapping.modelId(event);
    }
  }
}
