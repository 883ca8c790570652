package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PublishedUpdate;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The model-updates topic ({@code topics.model-updates}) as the job writes and reads it: a learner
 * publishes each update in chunks of at most about 1 MB, keyed by model id; a scoring job follows
 * the topic and reassembles the updates for its replicas.
 */
final class UpdateTopic {
  private UpdateTopic() {}

  /**
   * Writes the learner's {@code updates} to the update topic: at least once, flushed at
   * checkpoints, not transactional (an update must reach servers in seconds, and a repeated one is
   * ignored by its epoch and sequence), in chunks of at most 1 MB (a full update of a large model
   * is far more than a Kafka record may be).
   *
   * @throws IllegalArgumentException when {@code updates.interval-ms} is 0 (nothing would be
   *     published)
   */
  static void publish(DataStream<PublishedUpdate> updates, JobConfig config) {
    String topic = config.get(JobConfig.UPDATES_TOPIC);
    if (config.learnerOptions().get(LearnerOptions.UPDATES_INTERVAL_MS) <= 0) {
      throw new IllegalArgumentException(
          "topics.model-updates = "
              + topic
              + " needs updates.interval-ms > 0"
              + " (the learner publishes nothing at 0)");
    }
    updates
        .flatMap(new SplitUpdate())
        .returns(TypeInformation.of(PublishedUpdate.class))
        .uid("model-update-parts")
        .name("model update chunks")
        .sinkTo(
            KafkaSink.<PublishedUpdate>builder()
                .setBootstrapServers(config.get(JobConfig.BOOTSTRAP_SERVERS))
                .setKafkaProducerConfig(updateProducerProperties(config))
                .setRecordSerializer(
                    KafkaRecordSerializationSchema.<PublishedUpdate>builder()
                        .setTopic(topic)
                        .setKeySerializationSchema(new UpdateKey())
                        .setValueSerializationSchema(new UpdateValue())
                        .build())
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build())
        .uid("model-updates-sink")
        .name("model updates");
  }

  /**
   * A scoring job's model updates: the update topic read from its start (a restored job from its
   * checkpoint, after replaying the topic's recent past for its replicas: {@link
   * ScoringJobUpdateReader}), each update reassembled from its chunks, in the order the learner
   * published them. One reader: every scoring subtask needs every update anyway, and one model's
   * updates are on one partition in order.
   */
  static DataStream<PublishedUpdate> follow(StreamExecutionEnvironment env, JobConfig config) {
    KafkaSource<PublishedUpdate> source =
        KafkaSource.<PublishedUpdate>builder()
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
            TypeInformation.of(PublishedUpdate.class),
            new ScoringJobUpdateReader(
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
          PublishedUpdate> {
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG =
        org.slf4j.LoggerFactory.getLogger(UpdateRecords.class);

    @Override
    public void deserialize(
        org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> record,
        org.apache.flink.util.Collector<PublishedUpdate> out) {
      if (record.key() == null || record.value() == null) {
        LOG.warn(
            "skipping the record at {}-{}@{}: a model update has the model id as its key and a value",
            record.topic(),
            record.partition(),
            record.offset());
        return;
      }
      out.collect(
          new PublishedUpdate(
              new String(record.key(), java.nio.charset.StandardCharsets.UTF_8), record.value()));
    }

    @Override
    public TypeInformation<PublishedUpdate> getProducedType() {
      return TypeInformation.of(PublishedUpdate.class);
    }
  }

  /** Update chunks are at most about 1 MB (Kafka's default record limit), sent at once. */
  private static java.util.Properties updateProducerProperties(JobConfig config) {
    java.util.Properties props = config.kafkaClientProperties();
    props.putIfAbsent("max.request.size", "2097152");
    props.putIfAbsent("linger.ms", "0");
    return props;
  }

  /** An update as the records the topic carries ({@code UpdateChunks}). */
  static final class SplitUpdate
      implements org.apache.flink.api.common.functions.FlatMapFunction<
          PublishedUpdate, PublishedUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public void flatMap(PublishedUpdate u, org.apache.flink.util.Collector<PublishedUpdate> out) {
      for (byte[] part :
          ai.hiformer.learner.UpdateChunks.split(
              u.update, ai.hiformer.learner.UpdateChunks.DEFAULT_CHUNK_BYTES)) {
        out.collect(new PublishedUpdate(u.modelId, part));
      }
    }
  }

  /**
   * An update's record key: its model id, so that one model's updates stay in order on one
   * partition.
   */
  static final class UpdateKey implements SerializationSchema<PublishedUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] serialize(PublishedUpdate u) {
      return u.modelId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** An update's record value: the update's own bytes. */
  static final class UpdateValue implements SerializationSchema<PublishedUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] serialize(PublishedUpdate u) {
      return u.update;
    }
  }
}
