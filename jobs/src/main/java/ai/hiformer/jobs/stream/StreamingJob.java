package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.LearningStreams;
import ai.hiformer.jobs.OnlineLearning;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.time.Instant;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The online learning job (docs/ARCHITECTURE.md §1). As shipped ({@code scoring.parallelism} &gt;
 * 0): events → decode + validate (bad → dead-letter topic) → scorers, each scoring every event on
 * arrival with read-only replicas of the models → scores topic; a second read of the events and the
 * labels topic → label join → the learner (keyed by model id, micro-batches, model in RocksDB keyed
 * state) → model updates, which keep the replicas current and go to the model-updates topic. {@code
 * job.role} splits the two halves into a learning and a scoring job; {@code scoring.parallelism=0}
 * has the learner score every event itself.
 */
public final class StreamingJob {
  private StreamingJob() {}

  /**
   * Entry point for {@code flink run -c ai.hiformer.jobs.stream.StreamingJob hiformer-jobs.jar
   * --config job.properties [--key=value ...]}.
   */
  public static void main(String[] args) throws Exception {
    java.nio.file.Path file = null;
    int from = 0;
    if (args.length >= 2 && args[0].equals("--config")) {
      file = java.nio.file.Paths.get(args[1]);
      from = 2;
    }
    JobConfig config = JobConfigLoader.build(JobConfigLoader.read(file, args, from));
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(config));
    build(env, config);
    env.execute(
        switch (config.get(JobConfig.ROLE)) {
          case "learn" -> "hiformer-learning";
          case "score" -> "hiformer-scoring";
          default -> "hiformer-online-learning";
        });
  }

  /**
   * RocksDB state, checkpointing and restarts as the job needs them (docs/STACK.md: set through
   * Configuration).
   */
  public static org.apache.flink.configuration.Configuration flinkConfiguration(JobConfig config) {
    org.apache.flink.configuration.Configuration conf =
        new org.apache.flink.configuration.Configuration();
    conf.setString("state.backend.type", "rocksdb");
    conf.setString(
        "execution.checkpointing.interval", config.get(JobConfig.CHECKPOINT_INTERVAL_MS) + "ms");
    conf.setString("execution.checkpointing.incremental", "true");
    // Compactions that cost little and yield the CPU to scores (universal, uncompressed, nice 19).
    conf.setString(
        "state.backend.rocksdb.options-factory", JobRocksDbOptionsFactory.class.getName());
    // RocksDB's own info log: Flink's default (INFO, up to four 25 MB files per RocksDB instance)
    // grew 0.3 MB a minute per instance in an hour's soak, the only disk growth it found; warnings
    // and errors are what an operator needs from it.
    conf.setString("state.backend.rocksdb.log.level", "WARN_LEVEL");
    conf.set(
        JobRocksDbOptionsFactory.MAX_SIZE_AMPLIFICATION_PERCENT,
        config.get(JobConfig.ROCKSDB_MAX_SIZE_AMPLIFICATION_PERCENT));
    conf.set(
        JobRocksDbOptionsFactory.COMPACTION_TRIGGER_RUNS,
        config.get(JobConfig.ROCKSDB_COMPACTION_TRIGGER_RUNS));
    if (config.get(JobConfig.CHECKPOINT_DIR) != null) {
      conf.setString("execution.checkpointing.dir", config.get(JobConfig.CHECKPOINT_DIR));
      if (config.changelogCheckpoints()) {
        // RocksDB compacts the learner's row entries into new files, which an incremental
        // checkpoint must upload whole (at a million rows, 150 MB every ten or so checkpoints: a
        // checkpoint of seconds, and every exactly-once score waiting for it). With the changelog a
        // checkpoint writes what changed since the previous one; RocksDB's files go up in the
        // background (materialisation), after which the changelog before them is dropped: once a
        // minute by default bounds what a restore replays (Flink's default is ten).
        conf.setString("state.changelog.enabled", "true");
        // Where the changelog goes is the TaskManagers' setting; these two reach only a cluster
        // that this configuration starts (the embedded one). A cluster's own TaskManagers must say
        // it themselves, and the learner refuses to run on one that keeps the changelog in memory
        // (ChangelogStorageCheck).
        conf.setString("state.changelog.storage", "filesystem");
        conf.setString(
            "dstl.dfs.base-path",
            config.get(JobConfig.CHECKPOINT_DIR).replaceAll("/+$", "") + "/changelog");
        conf.setString(
            "state.changelog.periodic-materialize.interval",
            config.get(JobConfig.CHANGELOG_MATERIALIZE_INTERVAL_MS) + "ms");
        // A resume from a savepoint hands it to the job (CLAIM), as Flink asks of changelog jobs:
        // its default NO_CLAIM mode forces a full first checkpoint, which the changelog backend
        // does not offer (Flink's docs; a job resumed that way on the process cluster went into a
        // restart loop).
        conf.setString("execution.state-recovery.claim-mode", "CLAIM");
      }
    }
    if (config.get(JobConfig.ROCKSDB_LOCAL_DIR) != null) {
      conf.setString("state.backend.rocksdb.localdir", config.get(JobConfig.ROCKSDB_LOCAL_DIR));
    }
    conf.setString("restart-strategy.type", "exponential-delay");
    // Faults that come often (a chaos run, a flapping broker) would otherwise climb Flink's
    // default back-off to a minute and keep it there for an hour: the job then spends most of its
    // time waiting to restart (docs/OPERATIONS.md, "Failures we have tested").
    conf.setString(
        "restart-strategy.exponential-delay.max-backoff",
        config.get(JobConfig.RESTART_MAX_BACKOFF_MS) + "ms");
    conf.setString(
        "restart-strategy.exponential-delay.reset-backoff-threshold",
        config.get(JobConfig.RESTART_RESET_AFTER_MS) + "ms");
    if (config.get(LearnerOptions.SCORING_PARALLELISM) > 0) {
      // The scoring operator reads events and the learner's updates. An aligned checkpoint would
      // hold its events until the barrier has passed the learner (after the learner wrote its
      // changed rows), so a score would wait for a learner checkpoint: unaligned barriers overtake
      // the queued records instead.
      conf.setString("execution.checkpointing.unaligned.enabled", "true");
      conf.setString("execution.checkpointing.aligned-checkpoint-timeout", "0ms");
    }
    // Scores are per event: send each record on at once instead of after Flink's 100 ms default
    // (which would dominate the event-to-score latency). 0 also does without the 1 ms flusher
    // thread per output, whose wake-ups cost more CPU than flushing each record at the rates one
    // scoring subtask sees (docs/BENCHMARKS.md); edges that only feed the learner flush every
    // OnlineLearning.LEARNING_BUFFER_TIMEOUT_MS instead.
    conf.setString("execution.buffer-timeout.interval", "0ms");
    // Chained operators hand each record on as it is instead of a copy through its serializer: no
    // function here keeps or changes a record it was given (each emits a new one), and the copy
    // was a third of the learner's events source, a map copied per filter (docs/BENCHMARKS.md).
    conf.setString("pipeline.object-reuse", "true");
    conf.setString("parallelism.default", Integer.toString(config.get(JobConfig.PARALLELISM)));
    // Every record type has a Flink serializer of its own: a type that would fall back to Kryo
    // fails when the
    // job is built, not as a restart loop at run time.
    conf.setString("pipeline.generic-types", "false");
    return conf;
  }

  /**
   * Adds the job's dataflow to {@code env}: scoring and learning, or one of them ({@code
   * job.role}); a learning job and a scoring job on the same configuration together do what one job
   * of role {@code all} does, with the model updates on {@code topics.model-updates} between them.
   */
  public static void build(StreamExecutionEnvironment env, JobConfig config) {
    String role = config.get(JobConfig.ROLE);
    boolean replicas = config.get(LearnerOptions.SCORING_PARALLELISM) > 0;
    int learners = config.get(LearnerOptions.PARALLELISM);
    boolean eventTime = config.get(JobConfig.JOIN_TIME).equals("event");
    // The events the scores come from (absent from a job that only learns). Their watermarks matter
    // only where the learner reads them too (no replicas) and joins labels in event time.
    WatermarkStrategy<RawRecord> scoredEventTimes =
        eventTime && !replicas && !role.equals("score")
            ? EventTimes.forEvents(config)
            : WatermarkStrategy.noWatermarks();
    SingleOutputStreamOperator<ValidEvent> valid =
        role.equals("learn")
            ? null
            : env.fromSource(
                    KafkaEndpoints.rawRecords(
                        config,
                        config.get(JobConfig.EVENTS_TOPIC),
                        config.get(JobConfig.GROUP_ID),
                        KafkaEndpoints.Reader.SCORING),
                    scoredEventTimes,
                    "events")
                .uid("events-source")
                .process(new DecodeEvents(config))
                .uid("decode")
                .name("decode + validate");
    LearningStreams learning;
    DataStream<byte[]> deadLetters;
    if (role.equals("score")) {
      learning =
          OnlineLearning.scoreWithReplicas(
              valid,
              UpdateTopic.follow(env, config),
              new ValidEventMapping(ImpressionCodec.columnsOf(config.spec())),
              config.learnerOptions());
      deadLetters = valid.getSideOutput(DeadLetters.TAG);
    } else {
      // Labels on their own topic meet their impressions in the join; events that carry labels skip
      // it.
      SingleOutputStreamOperator<ValidLabel> labels =
          env.fromSource(
                  KafkaEndpoints.rawRecords(
                      config,
                      config.get(JobConfig.LABELS_TOPIC),
                      config.get(JobConfig.GROUP_ID),
                      KafkaEndpoints.Reader.LEARNING),
                  eventTime ? EventTimes.forLabels(config) : WatermarkStrategy.noWatermarks(),
                  "labels")
              .uid("labels-source")
              .process(new DecodeLabels(config))
              .uid("decode-labels")
              .name("decode + validate labels")
              // Labels only feed the learner: flushed in batches like its other edges, so that the
              // join does not wake for every label.
              .setBufferTimeout(OnlineLearning.LEARNING_BUFFER_TIMEOUT_MS);
      // With scoring replicas the learner reads the events with a source of its own: when it falls
      // behind, its lag stays in Kafka instead of holding back the source that the scores come
      // from. Its decoder's rejections are the scoring path's too, so only the scoring path's go to
      // the dead-letter topic (a scoring job's, when this job only learns).
      DataStream<ValidEvent> toLearn =
          !replicas
              ? valid
              : env.fromSource(
                      KafkaEndpoints.rawRecords(
                          config,
                          config.get(JobConfig.EVENTS_TOPIC),
                          config.get(JobConfig.GROUP_ID) + "-learner",
                          KafkaEndpoints.Reader.LEARNING),
                      eventTime ? EventTimes.forEvents(config) : WatermarkStrategy.noWatermarks(),
                      "events (learner)")
                  .uid("learner-events-source")
                  .process(new DecodeEvents(config))
                  .uid("learner-decode")
                  .name("decode + validate (learner)")
                  .setBufferTimeout(OnlineLearning.LEARNING_BUFFER_TIMEOUT_MS);
      SingleOutputStreamOperator<ValidEvent> joined =
          toLearn
              .filter(v -> !v.labelled)
              .name("impressions awaiting labels")
              .keyBy(v -> v.modelId, Types.STRING)
              .connect(labels.keyBy(l -> l.modelId, Types.STRING))
              .transform(
                  "join labels",
                  TypeInformation.of(ValidEvent.class),
                  new LabelJoinOperator(new LabelJoin(config)))
              // A new uid: the join by request id that came before kept other state.
              .uid("label-join-by-model")
              // Joined examples only feed the learner: flushed every
              // LEARNING_BUFFER_TIMEOUT_MS rather than one network buffer per example, each a
              // wake-up of the learner's thread.
              .setBufferTimeout(OnlineLearning.LEARNING_BUFFER_TIMEOUT_MS);
      // Several learners of a model exchange their deltas through a topic of their own.
      ai.hiformer.jobs.api.PeerChannel.Factory peers =
          learners > 1 ? KafkaPeerChannel.factory(config) : null;
      // The model step is the library's (OnlineLearning): this job is one user of it, on its
      // validated Avro events.
      if (role.equals("learn")) {
        learning =
            OnlineLearning.learn(
                toLearn,
                joined,
                new ValidEventMapping(ImpressionCodec.columnsOf(config.spec())),
                config.learnerOptions(),
                peers);
        deadLetters = labels.getSideOutput(DeadLetters.TAG);
      } else {
        learning =
            replicas
                ? OnlineLearning.scoreAndLearn(
                    valid,
                    toLearn,
                    joined,
                    new ValidEventMapping(ImpressionCodec.columnsOf(config.spec())),
                    config.learnerOptions(),
                    peers)
                : OnlineLearning.scoreAndLearn(
                    valid.union(joined),
                    new ValidEventMapping(ImpressionCodec.columnsOf(config.spec())),
                    config.learnerOptions());
        deadLetters =
            valid.getSideOutput(DeadLetters.TAG).union(labels.getSideOutput(DeadLetters.TAG));
      }
    }
    if (!role.equals("learn")) {
      learning
          .scores()
          .map(new EncodeScore(config))
          .uid("encode-scores")
          .name("encode scores")
          .sinkTo(
              KafkaEndpoints.records(
                  config,
                  config.get(JobConfig.SCORES_TOPIC),
                  config.get(JobConfig.TRANSACTIONAL_ID_PREFIX),
                  config.get(JobConfig.SCORES_DELIVERY).equals("exactly-once")
                      ? DeliveryGuarantee.EXACTLY_ONCE
                      : DeliveryGuarantee.AT_LEAST_ONCE))
          .uid("scores-sink")
          .name("scores");
    }
    if (config.get(JobConfig.UPDATES_TOPIC) != null && !role.equals("score")) {
      UpdateTopic.publish(learning.updates(), config);
    }
    String eventsTopic = config.get(JobConfig.EVENTS_TOPIC);
    DataStream<byte[]> rejected =
        learning
            .rejected()
            .map(r -> DeadLetters.encode(eventsTopic, -1, -1, r.reason, r.payload))
            .returns(PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO)
            .uid("encode-rejected")
            .name("rejected");
    // Each job its own transactional ids: a learning and a scoring job sharing one would fence each
    // other.
    String deadLetterIds =
        config.get(JobConfig.TRANSACTIONAL_ID_PREFIX)
            + (role.equals("learn") ? "-learn-dlq" : "-dlq");
    deadLetters
        .union(rejected)
        .sinkTo(
            KafkaEndpoints.records(
                config,
                config.get(JobConfig.DEAD_LETTER_TOPIC),
                deadLetterIds,
                DeliveryGuarantee
                    .EXACTLY_ONCE)) // not latency-bound: a dead letter is never written twice
        .uid("dead-letter-sink")
        .name("dead letters");
  }

  /**
   * A score as the scores topic carries it: an Avro Score, single-object encoded, or with {@code
   * scores.format=json} a JSON object ({@link MappedRecords#score}).
   */
  static final class EncodeScore implements MapFunction<Scored, byte[]> {
    private static final long serialVersionUID = 1L;
    private final JobConfig config;
    private transient WireCodec<Score> codec;
    private transient MappedRecords json;

    EncodeScore(JobConfig config) {
      this.config = config;
    }

    @Override
    public byte[] map(Scored s) {
      if (codec == null) {
        codec = WireCodec.scores();
        json =
            config.get(MappedRecords.SCORES_FORMAT).equals("json")
                ? new MappedRecords(config)
                : null;
      }
      if (json != null) {
        return json.score(
            s.requestId,
            s.modelId,
            s.modelVersion,
            s.scores,
            s.eventTimeMillis,
            s.scoringTimeMillis);
      }
      return codec.encode(
          Score.newBuilder()
              .setRequestId(s.requestId)
              .setModelId(s.modelId)
              .setModelVersion(s.modelVersion)
              .setScores(s.scores)
              .setEventTime(Instant.ofEpochMilli(s.eventTimeMillis))
              .setScoringTime(Instant.ofEpochMilli(s.scoringTimeMillis))
              .build());
    }
  }
}
