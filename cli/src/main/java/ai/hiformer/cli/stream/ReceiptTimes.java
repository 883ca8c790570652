package ai.hiformer.cli.stream;

import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * When each score reached a read_committed consumer (wall clock, the broker's clock too on this
 * machine), by the event index in its request id; read by a thread of its own from the job's start.
 */
public final class ReceiptTimes implements AutoCloseable {
  private final long[] receivedAt;
  private final java.util.concurrent.atomic.AtomicInteger received =
      new java.util.concurrent.atomic.AtomicInteger();
  private final Thread thread;
  private volatile boolean running = true;

  public ReceiptTimes(String bootstrapServers, int events) {
    receivedAt = new long[events];
    Properties p = EmbeddedKafka.readCommittedConsumer(bootstrapServers, "benchmark-visible");
    p.put("fetch.max.wait.ms", "5"); // answer polls at once: the receipt time is what we measure
    thread =
        new Thread(
            () -> {
              WireCodec<Score> codec = WireCodec.scores();
              try (var consumer =
                  new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
                      p,
                      new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                      new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                consumer.subscribe(List.of("scores"));
                while (running) {
                  var records = consumer.poll(Duration.ofMillis(5));
                  long now = System.currentTimeMillis();
                  for (ConsumerRecord<byte[], byte[]> r : records) {
                    try {
                      Score score = codec.decode(r.value());
                      int index = Integer.parseInt(score.getRequestId().substring(1));
                      if (index < receivedAt.length && receivedAt[index] == 0) {
                        receivedAt[index] = now;
                        received.incrementAndGet();
                      }
                    } catch (WireCodec.DecodeException e) {
                      // not a score of this benchmark: nothing to time
                    }
                  }
                }
              }
            },
            "visible-latency-consumer");
    thread.setDaemon(true);
    thread.start();
  }

  /** Scores of distinct events received so far. */
  public int received() {
    return received.get();
  }

  public long at(int index) {
    return receivedAt[index];
  }

  /**
   * Waits until the scores of {@code n} distinct events have been received. Counted as they arrive:
   * re-reading the whole scores topic on every check (as an earlier version of this harness did)
   * cost a core's worth of CPU during the warm-up and phase 1, on the cores the job under test runs
   * on.
   */
  public void awaitScored(int n) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 600_000;
    while (received.get() < n) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(
            "scores of "
                + n
                + " events did not arrive within 10 minutes ("
                + received.get()
                + " so far)");
      }
      Thread.sleep(50);
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the caller is being interrupted: let it see that
    }
  }
}
