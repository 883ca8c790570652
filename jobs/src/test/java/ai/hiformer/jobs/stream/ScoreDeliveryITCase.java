package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.local.embedded.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * scores.delivery: with no checkpoint completing (interval one hour), exactly-once scores sit in an
 * open transaction (a read_uncommitted reader sees them, a read_committed one does not), while
 * at-least-once scores are visible to read_committed consumers at once.
 */
class ScoreDeliveryITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(1);
  private static final int EVENTS = 300;

  @TempDir Path tmp;

  @Test
  void atLeastOnceScoresAreVisibleWithoutACheckpointAndExactlyOnceScoresWaitForOne()
      throws Exception {
    assertThat(visibleBeforeAnyCheckpoint("at-least-once")).isEqualTo(EVENTS);
    assertThat(visibleBeforeAnyCheckpoint("exactly-once")).isZero();
  }

  /**
   * Runs the job until a read_uncommitted reader has every score; returns how many read_committed
   * sees then.
   */
  private int visibleBeforeAnyCheckpoint(String delivery) throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "events", "labels", "scores", "dead-letters");
      List<byte[]> keys = new ArrayList<>();
      kafka.produce("events", keys, JobTestKit.syntheticEvents("m", EVENTS, 17, 11, 7, keys));
      JobConfig config =
          JobTestKit.config(kafka.bootstrapServers(), tmp.resolve(delivery), "m")
              .set(JobConfig.CHECKPOINT_INTERVAL_MS, 3_600_000L)
              .set(JobConfig.SCORES_DELIVERY, delivery)
              .build();
      JobClient job = JobTestKit.environment(config).executeAsync("delivery-" + delivery);
      try {
        long deadline = System.currentTimeMillis() + 120_000;
        while (count(kafka, "read_uncommitted") < EVENTS) {
          assertThat(System.currentTimeMillis())
              .as("the job scored every event")
              .isLessThan(deadline);
        }
        return count(kafka, "read_committed");
      } finally {
        job.cancel().get();
      }
    }
  }

  private static int count(EmbeddedKafka kafka, String isolation) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("group.id", "count-" + System.nanoTime());
    p.put("auto.offset.reset", "earliest");
    p.put("isolation.level", isolation);
    int n = 0;
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of("scores"));
      long idleSince = System.currentTimeMillis();
      while (System.currentTimeMillis() - idleSince < 1500 || c.assignment().isEmpty()) {
        int got = c.poll(Duration.ofMillis(200)).count();
        n += got;
        if (got > 0) {
          idleSince = System.currentTimeMillis();
        }
      }
    }
    return n;
  }
}
