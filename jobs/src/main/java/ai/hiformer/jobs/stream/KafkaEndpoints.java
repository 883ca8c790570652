package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.OnlineLearning;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;

/**
 * The job's Kafka sources of raw records and its sinks of encoded records, with the client settings
 * each needs. Kafka properties the user sets ({@code kafka.*}) win over every default here.
 */
final class KafkaEndpoints {
  private KafkaEndpoints() {}

  /**
   * Who reads a source, and so how long the broker may hold a fetch to fill it. Kafka's default
   * answers a fetch as soon as one record is there: at thousands of events a second that is a fetch
   * per record or two, and on a small machine the broker's work for those fetches took more CPU
   * than the model (docs/BENCHMARKS.md, "Kafka clients").
   */
  enum Reader {
    /**
     * The scoring path: a fetch is answered at 16 KB (about 90 MovieLens events) or after 5 ms,
     * whichever comes first; at most 5 ms added to a score's latency, and a few hundred fetches a
     * second at any rate instead of one per record or two.
     */
    SCORING(16 * 1024, 5),
    /**
     * A source that only feeds the learner, which trails the scores anyway (its edges flush every
     * {@link OnlineLearning#LEARNING_BUFFER_TIMEOUT_MS}): answered at 64 KB or after that long.
     */
    LEARNING(64 * 1024, OnlineLearning.LEARNING_BUFFER_TIMEOUT_MS);

    /** {@code fetch.min.bytes}: the broker answers a fetch once it holds this many bytes ... */
    final int fetchMinBytes;

    /** {@code fetch.max.wait.ms}: ... or after this many milliseconds. */
    final long fetchMaxWaitMillis;

    Reader(int fetchMinBytes, long fetchMaxWaitMillis) {
      this.fetchMinBytes = fetchMinBytes;
      this.fetchMaxWaitMillis = fetchMaxWaitMillis;
    }
  }

  /**
   * A source of raw records from {@code topic}, from the earliest offset (a new job reads what is
   * there; a restored one resumes from its checkpoint), bounded at the latest offset when the job
   * is bounded, committing its offsets (for monitoring only: the checkpoint holds them) under
   * {@code groupId}.
   */
  static KafkaSource<RawRecord> rawRecords(
      JobConfig config, String topic, String groupId, Reader reader) {
    java.util.Properties properties = new java.util.Properties();
    properties.setProperty("fetch.min.bytes", Integer.toString(reader.fetchMinBytes));
    properties.setProperty("fetch.max.wait.ms", Long.toString(reader.fetchMaxWaitMillis));
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

  /** How long a sink's producer waits for a batch to fill before it sends (Kafka's own default). */
  static final long SINK_LINGER_MS = 5;

  /**
   * A sink of encoded records to {@code topic}. At-least-once flushes the producer at each
   * checkpoint instead of committing a transaction, so records are visible as soon as the broker
   * has them; records written after the last completed checkpoint are written again after a
   * restore.
   */
  static KafkaSink<byte[]> records(
      JobConfig config, String topic, String transactionalIdPrefix, DeliveryGuarantee delivery) {
    java.util.Properties props = config.kafkaClientProperties();
    props.putIfAbsent("transaction.timeout.ms", "60000"); // below the broker's 15-minute maximum
    // A dead letter keeps the whole raw record, so it may exceed the 1 MB default; the topic's
    // max.message.bytes must allow it too.
    props.putIfAbsent("max.request.size", "16777216");
    // Kafka's 5 ms linger, not 0: sending each score at once made a produce request per score or
    // two, and the broker's and the producer's work for those cost more than the 5 ms it adds to
    // a score's latency at most (docs/BENCHMARKS.md, "Kafka clients").
    props.putIfAbsent("linger.ms", Long.toString(SINK_LINGER_MS));
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

  /** Records are encoded by the operators already. */
  static final class PassThrough implements SerializationSchema<byte[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] serialize(byte[] element) {
      return element;
    }
  }
}
