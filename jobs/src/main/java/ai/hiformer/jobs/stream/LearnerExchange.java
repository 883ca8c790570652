package ai.hiformer.jobs.stream;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.model.train.PeerDelta;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/**
 * The channel between the learners of a model ({@code learn.parallelism} > 1): their deltas go to
 * {@code topics.learner-exchange} without a transaction (at least once, flushed at checkpoints but
 * sent as they come, so a peer reads a delta milliseconds after it was sent, not a checkpoint
 * later), and come back from it read uncommitted, one copy per learner of the model but the sender,
 * as peer deltas beside the labelled examples. The source's position is in the checkpoint with the
 * learners' state; what was sent after the checkpoint a restore resumes from is told apart by its
 * epoch ({@link ai.hiformer.model.train.PeerExchange}).
 */
final class LearnerExchange {
  private LearnerExchange() {}

  /**
   * How far back before the job was built a fresh start reads the topic: deltas of earlier runs
   * there carry other epochs and are ignored, and a learner's first delta, sent after the job
   * started, is never missed for a clock a little ahead of the brokers'.
   */
  static final long FRESH_START_LOOKBACK_MS = 60_000;

  /** The learners' deltas to the topic, keyed by model id. */
  static void write(DataStream<PublishedUpdate> deltas, JobConfig config) {
    java.util.Properties props = config.kafkaClientProperties();
    props.putIfAbsent("max.request.size", "16777216");
    props.putIfAbsent("linger.ms", "0");
    deltas
        .sinkTo(
            KafkaSink.<PublishedUpdate>builder()
                .setBootstrapServers(config.get(JobConfig.BOOTSTRAP_SERVERS))
                .setKafkaProducerConfig(props)
                .setRecordSerializer(
                    KafkaRecordSerializationSchema.<PublishedUpdate>builder()
                        .setTopic(topic(config))
                        .setKeySerializationSchema(new UpdateTopic.UpdateKey())
                        .setValueSerializationSchema(new UpdateTopic.UpdateValue())
                        .build())
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build())
        .uid("learner-exchange-sink")
        .name("learner exchange");
  }

  /** The peers' deltas, one record per learner each is for. */
  static DataStream<ValidEvent> read(StreamExecutionEnvironment env, JobConfig config) {
    java.util.Properties props = config.kafkaClientProperties();
    props.setProperty("isolation.level", "read_uncommitted");
    props.setProperty("fetch.max.wait.ms", "1");
    KafkaSource<PublishedUpdate> source =
        KafkaSource.<PublishedUpdate>builder()
            .setBootstrapServers(config.get(JobConfig.BOOTSTRAP_SERVERS))
            .setTopics(topic(config))
            .setGroupId(config.get(JobConfig.GROUP_ID) + "-learner-exchange")
            .setStartingOffsets(
                OffsetsInitializer.timestamp(System.currentTimeMillis() - FRESH_START_LOOKBACK_MS))
            .setDeserializer(new UpdateTopic.UpdateRecords())
            .setProperties(props)
            .build();
    int learners = config.learnerOptions().get(LearnerOptions.PARALLELISM);
    return env.fromSource(source, WatermarkStrategy.noWatermarks(), "learner exchange")
        .uid("learner-exchange-source")
        .setParallelism(1)
        .flatMap(new ToPeers(learners))
        .returns(TypeInformation.of(ValidEvent.class))
        .setParallelism(1)
        .uid("learner-exchange-to-peers")
        .name("deltas to peers");
  }

  private static String topic(JobConfig config) {
    String topic = config.get(JobConfig.EXCHANGE_TOPIC);
    if (topic == null) {
      throw new IllegalArgumentException(
          LearnerOptions.PARALLELISM.key()
              + " = "
              + config.learnerOptions().get(LearnerOptions.PARALLELISM)
              + " needs "
              + JobConfig.EXCHANGE_TOPIC.key()
              + ": the topic the learners exchange what they learnt through");
    }
    return topic;
  }

  /** A delta, once for every learner of its model but its sender. */
  static final class ToPeers implements FlatMapFunction<PublishedUpdate, ValidEvent> {
    private static final long serialVersionUID = 1L;
    private final int learners;

    ToPeers(int learners) {
      this.learners = learners;
    }

    @Override
    public void flatMap(PublishedUpdate delta, Collector<ValidEvent> out) {
      int sender = PeerDelta.senderOf(delta.update);
      for (int k = 0; k < learners; k++) {
        if (k != sender) {
          out.collect(ValidEvent.peerDelta(delta.modelId, k, delta.update));
        }
      }
    }
  }
}
