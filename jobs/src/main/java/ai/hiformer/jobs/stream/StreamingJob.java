package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.LearningStreams;
import ai.hiformer.jobs.api.OnlineLearning;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.time.Instant;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
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
        "state.backend.rocksdb.options-factory", ScoringFirstRocksDbOptions.class.getName());
    if (config.get(JobConfig.CHECKPOINT_DIR) != null) {
      conf.setString("execution.checkpointing.dir", config.get(JobConfig.CHECKPOINT_DIR));
      if (config.changelogCheckpoints()) {
        // RocksDB compacts the learner's row entries into new files, which an incremental
        // checkpoint must upload whole (at a million rows, 150 MB every ten or so checkpoints: a
        // checkpoint of seconds, and every exactly-once score waiting for it). With the changelog a
        // checkpoint writes what changed since the previous one; RocksDB's files go up in the
        // background (materialisation), after which the changelog before them is dropped: once a
        // minute bounds what a restore replays (Flink's default is ten).
        conf.setString("state.changelog.enabled", "true");
        // Where the changelog goes is the TaskManagers' setting; these two reach only a cluster
        // that this configuration starts (the embedded one). A cluster's own TaskManagers must say
        // it themselves, and the learner refuses to run on one that keeps the changelog in memory
        // (ChangelogStorageCheck).
        conf.setString("state.changelog.storage", "filesystem");
        conf.setString(
            "dstl.dfs.base-path",
            config.get(JobConfig.CHECKPOINT_DIR).replaceAll("/+$", "") + "/changelog");
        conf.setString("state.changelog.periodic-materialize.interval", "1min");
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
    conf.setString("parallelism.default", Integer.toString(config.get(JobConfig.PARALLELISM)));
    // Every record type has a Flink serializer of its own: a type that would fall back to Kryo
    // fails when the
    // job is built, not as a restart loop at run time.
    conf.setString("pipeline.generic-types", "false");
    return conf;
  }

  /**
   * A source of raw records from {@code topic}, from the earliest offset (a new job reads what is
   * there; a restored one resumes from its checkpoint), bounded at the latest offset when the job
   * is bounded.
   */
  static KafkaSource<RawRecord> source(JobConfig config, String topic) {
    return source(config, topic, config.get(JobConfig.GROUP_ID));
  }

  /**
   * As above, committing its offsets (for monitoring only: the checkpoint holds them) under {@code
   * groupId}.
   */
  static KafkaSource<RawRecord> source(JobConfig config, String topic, String groupId) {
    return source(config, topic, groupId, false);
  }

  /**
   * As above; a {@code batched} source (one that only feeds the learner) asks the broker to answer
   * a fetch once it holds {@link #LEARNER_FETCH_MIN_BYTES} or after {@link
   * #LEARNER_FETCH_MAX_WAIT_MS}, whichever comes first. Kafka's default answers as soon as one
   * record is there: at thousands of events a second that is a fetch per record or two, and on a
   * small machine the broker's work for the learner's fetches took CPU from the scores. The learner
   * trails the scores anyway (its edges flush every {@link
   * OnlineLearning#LEARNING_BUFFER_TIMEOUT_MS}); the scoring path's source keeps Kafka's default.
   * Kafka properties the user sets win over both.
   */
  static KafkaSource<RawRecord> source(
      JobConfig config, String topic, String groupId, boolean batched) {
    java.util.Properties properties = new java.util.Properties();
    if (batched) {
      properties.setProperty("fetch.min.bytes", Integer.toString(LEARNER_FETCH_MIN_BYTES));
      properties.setProperty("fetch.max.wait.ms", Long.toString(LEARNER_FETCH_MAX_WAIT_MS));
    }
    properties.putAll(config.kafkaClientProperties());
    org.apache.flink.connector.kafka.source.KafkaSourceBuilder<RawRecord> source =
        KafkaSource.<RawRecord>builder()
            .setBootstrapServers(config.get(JobConfig.BOOTSTRAP_SERVERS))
            .setTopics(topic)
            .setGroupId(groupId)
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setDeserializer(new RawRecordDeserializer())
            .setProperties(properties);
    if (config.get(JobConfig.BOUNDED)) {
      source.setBounded(OffsetsInitializer.latest());
    }
    return source.build();
  }

  /**
   * A learner-only source's fetch: answered at this many bytes (about 300 events of the generated
   * stream)...
   */
  static final int LEARNER_FETCH_MIN_BYTES = 64 * 1024;

  /**
   * ... or after this long, whichever comes first (the learner's edges flush at the same interval).
   */
  static final long LEARNER_FETCH_MAX_WAIT_MS = OnlineLearning.LEARNING_BUFFER_TIMEOUT_MS;

  /**
   * Adds the job's dataflow to {@code env}: scoring and learning, or one of them ({@code
   * job.role}); a learning job and a scoring job on the same configuration together do what one job
   * of role {@code all} does, with the model updates on {@code topics.model-updates} between them.
   */
  public static void build(StreamExecutionEnvironment env, JobConfig config) {
    String role = config.get(JobConfig.ROLE);
    boolean replicas = config.get(LearnerOptions.SCORING_PARALLELISM) > 0;
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
                    source(config, config.get(JobConfig.EVENTS_TOPIC)), scoredEventTimes, "events")
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
              followedUpdates(env, config),
              new ValidEventMapping(),
              config.learnerOptions());
      deadLetters = valid.getSideOutput(DeadLetters.TAG);
    } else {
      // Labels on their own topic meet their impressions in the join; events that carry labels skip
      // it.
      SingleOutputStreamOperator<ValidLabel> labels =
          env.fromSource(
                  source(
                      config,
                      config.get(JobConfig.LABELS_TOPIC),
                      config.get(JobConfig.GROUP_ID),
                      true),
                  eventTime ? EventTimes.forLabels(config) : WatermarkStrategy.noWatermarks(),
                  "labels")
              .uid("labels-source")
              .process(new DecodeLabels(config))
              .uid("decode-labels")
              .name("decode + validate labels");
      // With scoring replicas the learner reads the events with a source of its own: when it falls
      // behind, its lag stays in Kafka instead of holding back the source that the scores come
      // from. Its decoder's rejections are the scoring path's too, so only the scoring path's go to
      // the dead-letter topic (a scoring job's, when this job only learns).
      DataStream<ValidEvent> toLearn =
          !replicas
              ? valid
              : env.fromSource(
                      source(
                          config,
                          config.get(JobConfig.EVENTS_TOPIC),
                          config.get(JobConfig.GROUP_ID) + "-learner",
                          true),
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
              .uid("label-join-by-model");
      // The model step is the library's (OnlineLearning): this job is one user of it, on its
      // validated Avro events.
      if (role.equals("learn")) {
        learning =
            OnlineLearning.learn(
                toLearn.union(joined), new ValidEventMapping(), config.learnerOptions());
        deadLetters = labels.getSideOutput(DeadLetters.TAG);
      } else {
        learning =
            replicas
                ? OnlineLearning.scoreAndLearn(
                    valid, toLearn.union(joined), new ValidEventMapping(), config.learnerOptions())
                : OnlineLearning.scoreAndLearn(
                    valid.union(joined), new ValidEventMapping(), config.learnerOptions());
        deadLetters =
            valid.getSideOutput(DeadLetters.TAG).union(labels.getSideOutput(DeadLetters.TAG));
      }
    }
    if (!role.equals("learn")) {
      learning
          .scores()
          .map(new EncodeScore())
          .uid("encode-scores")
          .name("encode scores")
          .sinkTo(
              sink(
                  config,
                  config.get(JobConfig.SCORES_TOPIC),
                  config.get(JobConfig.TRANSACTIONAL_ID_PREFIX),
                  config.get(JobConfig.SCORES_DELIVERY).equals("exactly-once")
                      ? DeliveryGuarantee.EXACTLY_ONCE
                      : DeliveryGuarantee.AT_LEAST_ONCE))
          .uid("scores-sink")
          .name("scores");
    }
    String updatesTopic = config.get(JobConfig.UPDATES_TOPIC);
    if (updatesTopic != null && !role.equals("score")) {
      if (config.learnerOptions().get(LearnerOptions.UPDATES_INTERVAL_MS) <= 0) {
        throw new IllegalArgumentException(
            "topics.model-updates = "
                + updatesTopic
                + " needs updates.interval-ms > 0"
                + " (the learner publishes nothing at 0)");
      }
      // At least once, flushed at checkpoints, not transactional: an update must reach servers in
      // seconds, and a
      // repeated one is ignored by its (epoch, sequence).
      // An update in parts of at most 1 MB: a full update of a large model is far more than a Kafka
      // record may be.
      learning
          .updates()
          .flatMap(new SplitUpdate())
          .returns(TypeInformation.of(ai.hiformer.jobs.api.PublishedUpdate.class))
          .uid("model-update-parts")
          .name("model update parts")
          .sinkTo(
              KafkaSink.<ai.hiformer.jobs.api.PublishedUpdate>builder()
                  .setBootstrapServers(config.get(JobConfig.BOOTSTRAP_SERVERS))
                  .setKafkaProducerConfig(updateProducerProperties(config))
                  .setRecordSerializer(
                      KafkaRecordSerializationSchema.<ai.hiformer.jobs.api.PublishedUpdate>builder()
                          .setTopic(updatesTopic)
                          .setKeySerializationSchema(new UpdateKey())
                          .setValueSerializationSchema(new UpdateValue())
                          .build())
                  .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                  .build())
          .uid("model-updates-sink")
          .name("model updates");
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
            sink(
                config,
                config.get(JobConfig.DEAD_LETTER_TOPIC),
                deadLetterIds,
                DeliveryGuarantee
                    .EXACTLY_ONCE)) // not latency-bound: a dead letter is never written twice
        .uid("dead-letter-sink")
        .name("dead letters");
  }

  /**
   * A scoring job's model updates: the update topic read from its start (a restored job from its
   * checkpoint, after replaying the topic's recent past for its replicas: {@link AssembleUpdates}),
   * each update reassembled from its parts, in the order the learner published them. One reader:
   * every scoring subtask needs every update anyway, and one model's updates are on one partition
   * in order.
   */
  static DataStream<ai.hiformer.jobs.api.PublishedUpdate> followedUpdates(
      StreamExecutionEnvironment env, JobConfig config) {
    KafkaSource<ai.hiformer.jobs.api.PublishedUpdate> source =
        KafkaSource.<ai.hiformer.jobs.api.PublishedUpdate>builder()
            .setBootstrapServers(config.get(JobConfig.BOOTSTRAP_SERVERS))
            .setTopics(config.get(JobConfig.UPDATES_TOPIC))
            .setGroupId(config.get(JobConfig.GROUP_ID) + "-scoring-updates")
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setDeserializer(new UpdateRecords())
            .setProperties(config.kafkaClientProperties())
            .build();
    return env.fromSource(source, WatermarkStrategy.noWatermarks(), "model updates")
        .uid("model-updates-source")
        .setParallelism(1)
        .transform(
            "assemble model updates",
            TypeInformation.of(ai.hiformer.jobs.api.PublishedUpdate.class),
            new AssembleUpdates(
                updateReaderProperties(config),
                config.get(JobConfig.UPDATES_TOPIC),
                baseCycleMillis(config.learnerOptions())))
        .setParallelism(1)
        .uid("assemble-model-updates");
  }

  /**
   * The job's Kafka client settings and its brokers, for reading the update topic outside a Flink
   * source.
   */
  private static java.util.Properties updateReaderProperties(JobConfig config) {
    java.util.Properties p = config.kafkaClientProperties();
    p.setProperty("bootstrap.servers", config.get(JobConfig.BOOTSTRAP_SERVERS));
    return p;
  }

  /**
   * The time a base spread over slices takes to be published whole (at least one update interval).
   */
  private static long baseCycleMillis(LearnerOptions options) {
    return Math.max(1, options.get(LearnerOptions.UPDATES_BASE_SLICES))
        * options.get(LearnerOptions.UPDATES_INTERVAL_MS);
  }

  /**
   * An update topic's record as (model id = its key, its value); a record without a key is skipped.
   */
  static final class UpdateRecords
      implements org.apache.flink.connector.kafka.source.reader.deserializer
              .KafkaRecordDeserializationSchema<
          ai.hiformer.jobs.api.PublishedUpdate> {
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG =
        org.slf4j.LoggerFactory.getLogger(UpdateRecords.class);

    @Override
    public void deserialize(
        org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> record,
        org.apache.flink.util.Collector<ai.hiformer.jobs.api.PublishedUpdate> out) {
      if (record.key() == null || record.value() == null) {
        LOG.warn(
            "skipping the record at {}-{}@{}: a model update has the model id as its key and a value",
            record.topic(),
            record.partition(),
            record.offset());
        return;
      }
      out.collect(
          new ai.hiformer.jobs.api.PublishedUpdate(
              new String(record.key(), java.nio.charset.StandardCharsets.UTF_8), record.value()));
    }

    @Override
    public TypeInformation<ai.hiformer.jobs.api.PublishedUpdate> getProducedType() {
      return TypeInformation.of(ai.hiformer.jobs.api.PublishedUpdate.class);
    }
  }

  /** Update parts are at most about 1 MB (Kafka's default record limit), sent at once. */
  private static java.util.Properties updateProducerProperties(JobConfig config) {
    java.util.Properties props = config.kafkaClientProperties();
    props.putIfAbsent("max.request.size", "2097152");
    props.putIfAbsent("linger.ms", "0");
    return props;
  }

  /** A score as the scores topic carries it: an Avro Score, single-object encoded. */
  static final class EncodeScore implements MapFunction<Scored, byte[]> {
    private static final long serialVersionUID = 1L;
    private transient WireCodec<Score> codec;

    @Override
    public byte[] map(Scored s) {
      if (codec == null) {
        codec = WireCodec.scores();
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

  /** An update as the records the topic carries ({@code UpdateParts}). */
  static final class SplitUpdate
      implements org.apache.flink.api.common.functions.FlatMapFunction<
          ai.hiformer.jobs.api.PublishedUpdate, ai.hiformer.jobs.api.PublishedUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(
        ai.hiformer.jobs.api.PublishedUpdate u,
        org.apache.flink.util.Collector<ai.hiformer.jobs.api.PublishedUpdate> out) {
      for (byte[] part :
          ai.hiformer.learner.UpdateParts.split(
              u.update, ai.hiformer.learner.UpdateParts.DEFAULT_SLICE_BYTES)) {
        out.collect(new ai.hiformer.jobs.api.PublishedUpdate(u.modelId, part));
      }
    }
  }

  /**
   * An update's record key: its model id, so that one model's updates stay in order on one
   * partition.
   */
  static final class UpdateKey
      implements SerializationSchema<ai.hiformer.jobs.api.PublishedUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] serialize(ai.hiformer.jobs.api.PublishedUpdate u) {
      return u.modelId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** An update's record value: the update's own bytes. */
  static final class UpdateValue
      implements SerializationSchema<ai.hiformer.jobs.api.PublishedUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] serialize(ai.hiformer.jobs.api.PublishedUpdate u) {
      return u.update;
    }
  }

  /** Records are encoded by the operators already. */
  static final class PassThrough implements SerializationSchema<byte[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] serialize(byte[] element) {
      return element;
    }
  }

  /**
   * At-least-once flushes the producer at each checkpoint instead of committing a transaction, so
   * records are visible as soon as the broker has them; records written after the last completed
   * checkpoint are written again after a restore.
   */
  private static KafkaSink<byte[]> sink(
      JobConfig config, String topic, String transactionalIdPrefix, DeliveryGuarantee delivery) {
    java.util.Properties props = config.kafkaClientProperties();
    props.putIfAbsent("transaction.timeout.ms", "60000"); // below the broker's 15-minute maximum
    // A dead letter keeps the whole raw record, so it may exceed the 1 MB default; the topic's
    // max.message.bytes must allow it too.
    props.putIfAbsent("max.request.size", "16777216");
    // Send at once (the client's default waits 5 ms for a batch to fill): a score is latency-bound,
    // and records
    // still batch by themselves while a request is in flight.
    props.putIfAbsent("linger.ms", "0");
    return KafkaSink.<byte[]>builder()
        .setBootstrapServers(config.get(JobConfig.BOOTSTRAP_SERVERS))
        .setKafkaProducerConfig(props)
        .setRecordSerializer(
            KafkaRecordSerializationSchema.<byte[]>builder()
                .setTopic(topic)
                .setValueSerializationSchema(new PassThrough())
                .build())
        .setDeliveryGuarantee(delivery)
        .setTransactionalIdPrefix(transactionalIdPrefix)
        .build();
  }
}
