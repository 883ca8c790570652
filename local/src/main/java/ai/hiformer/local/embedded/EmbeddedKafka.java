package ai.hiformer.local.embedded;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node KRaft Kafka broker in this JVM (docs/STACK.md: KafkaClusterTestKit, ephemeral
 * ports), with helpers to create topics, produce and read. For the embedded default run and the
 * tests; production uses real brokers.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final KafkaClusterTestKit cluster;

  public EmbeddedKafka() throws Exception {
    this(Map.of());
  }

  /** A broker with these broker configs on top of the defaults here (which they override). */
  public EmbeddedKafka(Map<String, String> brokerConfig) throws Exception {
    var builder =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                    .build())
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .setConfigProp("message.max.bytes", "16777216");
    brokerConfig.forEach(builder::setConfigProp);
    cluster = builder.build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /**
   * Creates the topics and waits until every partition has a leader (avoids producer sequence
   * errors).
   */
  public void createTopics(int partitions, String... topics) throws Exception {
    createTopics(partitions, Map.of(), topics);
  }

  /** As {@link #createTopics(int, String...)} with topic configs (e.g. message.timestamp.type). */
  public void createTopics(int partitions, Map<String, String> configs, String... topics)
      throws Exception {
    createTopics(bootstrapServers(), partitions, configs, topics);
  }

  /**
   * Creates the topics on any cluster (those that exist already are left as they are) and waits
   * until every partition has a leader.
   */
  public static void createTopics(
      String bootstrapServers, int partitions, Map<String, String> configs, String... topics)
      throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      List<NewTopic> list = new ArrayList<>();
      for (String t : topics) {
        // The brokers' default replication factor: 1 here, 3 on a cluster of three.
        list.add(
            new NewTopic(t, java.util.Optional.of(partitions), java.util.Optional.empty())
                .configs(configs));
      }
      // Right after start-up the controller can still answer UnknownTopicOrPartition: retry each
      // topic a few times; one that exists already (an earlier attempt went through) is fine.
      for (NewTopic topic : list) {
        for (int attempt = 1; ; attempt++) {
          try {
            admin.createTopics(List.of(topic)).all().get();
            break;
          } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException) {
              break;
            }
            if (attempt >= 60
                || !(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)) {
              throw e;
            }
            Thread.sleep(250);
          }
        }
      }
      // The broker learns of a new topic from the controller a little later: until then
      // describeTopics answers UnknownTopicOrPartition (retriable), and a partition can be listed
      // before it has a leader.
      long deadline = System.currentTimeMillis() + 60_000;
      Object last = null;
      while (true) {
        try {
          Map<String, TopicDescription> d =
              admin.describeTopics(Set.of(topics)).allTopicNames().get();
          last = d;
          boolean ready =
              d.values().stream()
                  .allMatch(td -> td.partitions().stream().allMatch(p -> p.leader() != null));
          if (ready) {
            return;
          }
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)) {
            throw e;
          }
          last = e.getCause();
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException(
              "topics " + List.of(topics) + " not ready after 60 s: " + last);
        }
        Thread.sleep(100);
      }
    }
  }

  /** Produces values with the given keys (key decides the partition), then flushes. */
  public void produce(String topic, List<byte[]> keys, List<byte[]> values) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrapServers());
    p.put("max.request.size", "4194304");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < values.size(); i++) {
        producer.send(new ProducerRecord<>(topic, keys.get(i), values.get(i)));
      }
      producer.flush();
    }
  }

  /**
   * Reads everything committed in the topic (read_committed) until {@code idle} passes without a
   * record.
   */
  public List<byte[]> readCommitted(String topic, Duration idle) {
    List<byte[]> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : readCommittedRecords(topic, idle)) {
      out.add(r.value());
    }
    return out;
  }

  /** As {@link #readCommitted}, keeping the records (timestamps, offsets). */
  public List<ConsumerRecord<byte[], byte[]>> readCommittedRecords(String topic, Duration idle) {
    return readCommittedRecords(bootstrapServers(), topic, idle);
  }

  /**
   * Consumer settings of a fresh group (named after {@code group}) reading committed records from
   * the start.
   */
  public static Properties readCommittedConsumer(String bootstrapServers, String group) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrapServers);
    p.put("group.id", group + "-" + System.nanoTime());
    p.put("auto.offset.reset", "earliest");
    p.put("isolation.level", "read_committed");
    p.put("enable.auto.commit", "false");
    return p;
  }

  /**
   * Reads everything committed in a topic of any cluster (read_committed, from the start) until
   * {@code idle} passes without a record once partitions are assigned.
   */
  public static List<ConsumerRecord<byte[], byte[]>> readCommittedRecords(
      String bootstrapServers, String topic, Duration idle) {
    Properties p = readCommittedConsumer(bootstrapServers, "reader");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long start = System.currentTimeMillis();
      long lastRecord = start;
      boolean assigned = false;
      // Idle time only counts once partitions are assigned (a group join can take seconds, more
      // while a broker has just died), waiting up to a minute for that.
      while (!assigned
          ? System.currentTimeMillis() - start < 60_000
          : System.currentTimeMillis() - lastRecord < idle.toMillis()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r);
          lastRecord = System.currentTimeMillis();
        }
        if (!assigned && !consumer.assignment().isEmpty()) {
          assigned = true;
          lastRecord = Math.max(lastRecord, System.currentTimeMillis());
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    try {
      cluster.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the embedded broker", e);
    } catch (Exception e) {
      throw new IllegalStateException("stopping the embedded broker failed", e);
    }
  }
}
