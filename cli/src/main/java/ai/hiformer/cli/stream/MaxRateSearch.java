package ai.hiformer.cli.stream;

import ai.hiformer.local.embedded.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The highest steady rate a running job sustains: steps of {@code seconds} at rising rates (each
 * 1.25 times the last), stopping at the first step that fails. A warm-up step at the first rate
 * comes before them, not judged, followed by a wait for the learner to catch up: a process's first
 * minute is its JIT compilers' (0.3-0.4 of this machine's two cores), and a job that runs for days
 * is measured warm. A step passes when every event's score reached a {@code read_committed}
 * consumer, their visible latency's p99 (event appended → score received) is at most {@code
 * maxP99Millis}, and the learner kept up: at the step's end its committed position on the events
 * topic is within {@link #LEARNER_SLACK_SECONDS} of traffic of the head (positions are committed at
 * checkpoints, so a learner that keeps up trails by about one checkpoint interval; one that falls
 * behind trails by more every second).
 */
public final class MaxRateSearch {
  /** How far behind the head, in seconds of traffic, a learner that keeps up may be. */
  public static final double LEARNER_SLACK_SECONDS = 3;

  /** One step's figures. */
  public record Step(
      int rate,
      long events,
      long scored,
      long visibleP50,
      long visibleP99,
      long visibleMax,
      long learnerLagMidway,
      long learnerLag,
      boolean learnerKeptUp,
      boolean passed,
      CpuUse cpu,
      boolean warmup) {}

  private final EmbeddedKafka kafka;
  private final KafkaProducer<byte[], byte[]> producer;
  private final byte[] key;
  private final LiveTraffic traffic;
  private final ReceiptTimes receipts;
  private final String learnerGroup;
  private final int seconds;
  private final long maxP99Millis;
  private long nextIndex;
  private long eventsSent;

  /** Scores received before the search, plus one per event the search sent. */
  private long scoresExpected;

  /**
   * @param firstIndex the index of the first event this search sends (its request id's number)
   * @param eventsSentBefore events on the (single-partition) events topic before the search's
   * @param learnerGroup the consumer group whose committed position on the events topic is the
   *     learner's
   */
  public MaxRateSearch(
      EmbeddedKafka kafka,
      KafkaProducer<byte[], byte[]> producer,
      byte[] key,
      LiveTraffic traffic,
      ReceiptTimes receipts,
      long firstIndex,
      long eventsSentBefore,
      String learnerGroup,
      int seconds,
      long maxP99Millis) {
    this.kafka = kafka;
    this.producer = producer;
    this.key = key;
    this.traffic = traffic;
    this.receipts = receipts;
    this.nextIndex = firstIndex;
    this.eventsSent = eventsSentBefore;
    this.learnerGroup = learnerGroup;
    this.seconds = seconds;
    this.maxP99Millis = maxP99Millis;
    this.scoresExpected = receipts.received();
  }

  /**
   * Events the search may send at most, from {@code startRate} up to {@code maxRate}, after a
   * warm-up of {@code warmupSeconds} at {@code startRate}.
   */
  public static long maxEvents(int startRate, int maxRate, int seconds, int warmupSeconds) {
    long n = (long) startRate * warmupSeconds;
    for (double r = startRate; r <= maxRate; r *= 1.25) {
      n += Math.round(r) * seconds;
    }
    return n;
  }

  /**
   * A warm-up of {@code warmupSeconds} at {@code startRate} (none if 0; listed first, marked, not
   * judged), then steps from {@code startRate} until one fails or the next would exceed {@code
   * maxRate}.
   */
  public List<Step> run(int startRate, int maxRate, int warmupSeconds) throws Exception {
    List<Step> steps = new ArrayList<>();
    if (warmupSeconds > 0) {
      Step w = step(startRate, warmupSeconds, true);
      steps.add(w);
      print(w);
      awaitLearnerCaughtUp(warmupSeconds);
    }
    for (double r = startRate; r <= maxRate; r *= 1.25) {
      Step s = step((int) Math.round(r), seconds, false);
      steps.add(s);
      print(s);
      if (!s.passed()) {
        break;
      }
    }
    return steps;
  }

  private static void print(Step s) {
    System.out.printf(
        Locale.ROOT,
        "max-rate %s %,d events/s: %s (visible p50 %d, p99 %d, max %d ms; %,d of %,d scored;"
            + " learner %,d then %,d events behind%s; job %.1f µs/event, %.2f cores)%n",
        s.warmup() ? "warm-up at" : "step",
        s.rate(),
        s.warmup() ? "not judged" : s.passed() ? "passed" : "FAILED",
        s.visibleP50(),
        s.visibleP99(),
        s.visibleMax(),
        s.scored(),
        s.events(),
        s.learnerLagMidway(),
        s.learnerLag(),
        s.learnerKeptUp() ? "" : ", falling behind",
        s.cpu().microsPerEvent(s.cpu().jobSeconds()),
        s.cpu().cores(s.cpu().jobSeconds()));
    s.cpu().print(System.out);
  }

  /**
   * After the warm-up: waits until the learner has committed every event sent (its backlog from the
   * cold minute worked off), for as long as the warm-up lasted at most.
   */
  private void awaitLearnerCaughtUp(int warmupSeconds) throws Exception {
    long deadline = System.currentTimeMillis() + warmupSeconds * 1000L;
    while (committed(learnerGroup) < eventsSent && System.currentTimeMillis() < deadline) {
      Thread.sleep(500);
    }
  }

  private Step step(int rate, int seconds, boolean warmup) throws Exception {
    long n = (long) rate * seconds;
    long first = nextIndex;
    long firstOffset = eventsSent;
    ThreadCpu.Sample from = ThreadCpu.take();
    long start = System.nanoTime();
    long startMillis = System.currentTimeMillis();
    long lagMidway = -1;
    for (long k = 0; k < n; k++) {
      if (k == n / 2) {
        lagMidway = eventsSent - committed(learnerGroup);
      }
      long due = start + (long) (k * 1e9 / rate);
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      long now = startMillis + (System.nanoTime() - start) / 1_000_000;
      for (byte[] label : traffic.dueLabels(now)) {
        producer.send(new ProducerRecord<>("labels", key, label));
      }
      producer.send(new ProducerRecord<>("events", key, traffic.event(nextIndex++, now)));
      eventsSent++;
      scoresExpected++;
    }
    producer.flush();
    long lag = eventsSent - committed(learnerGroup);
    // Scores come within seconds when the job keeps up; give it the step's length again at most.
    long deadline = System.currentTimeMillis() + Math.max(10_000, seconds * 1000L);
    while (receipts.received() < scoresExpected && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    ThreadCpu.Sample to = ThreadCpu.take();
    long[] appended = appendTimes(firstOffset, n);
    long[] visible = new long[(int) n];
    int scored = 0;
    for (int k = 0; k < n; k++) {
      long received = receipts.at((int) (first + k));
      if (received > 0 && appended[k] > 0) {
        visible[scored++] = received - appended[k];
      }
    }
    long[] v = Arrays.copyOf(visible, scored);
    Arrays.sort(v);
    long p99 = StreamResults.pct(v, 0.99);
    // Keeping up: the lag did not grow over the step's second half by more than a checkpoint
    // interval's worth of traffic (positions are committed at checkpoints), or stayed small.
    boolean keptUp = lag <= LEARNER_SLACK_SECONDS * rate || lag <= lagMidway + rate;
    boolean passed = scored == n && p99 <= maxP99Millis && keptUp;
    return new Step(
        rate,
        n,
        scored,
        StreamResults.pct(v, 0.5),
        p99,
        StreamResults.pct(v, 1),
        lagMidway,
        lag,
        keptUp,
        passed && !warmup,
        CpuUse.of(from, to, n),
        warmup);
  }

  /** The broker's append times of {@code n} events from {@code firstOffset}. */
  private long[] appendTimes(long firstOffset, long n) {
    long[] times = new long[(int) n];
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("max.poll.records", "10000");
    TopicPartition tp = new TopicPartition("events", 0);
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.assign(List.of(tp));
      c.seek(tp, firstOffset);
      long end = firstOffset + n;
      long deadline = System.currentTimeMillis() + 60_000;
      while (c.position(tp) < end && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.offset() < end) {
            times[(int) (r.offset() - firstOffset)] = r.timestamp();
          }
        }
      }
    }
    return times;
  }

  /** The group's committed offset on the events topic (0 before its first checkpoint). */
  private long committed(String group) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    try (var admin = org.apache.kafka.clients.admin.Admin.create(p)) {
      return committed(admin, group);
    }
  }

  /**
   * The learner's position: the offsets its consumer group has committed, summed over the group's
   * partitions (the events topic's), 0 before its first checkpoint.
   */
  static long committed(org.apache.kafka.clients.admin.Admin admin, String group) throws Exception {
    return admin
        .listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata()
        .get()
        .values()
        .stream()
        .filter(java.util.Objects::nonNull)
        .mapToLong(org.apache.kafka.clients.consumer.OffsetAndMetadata::offset)
        .sum();
  }

  /**
   * Waits until the learner's source has committed offset {@code n} of the events topic: its
   * offsets are committed when a checkpoint completes, and a checkpoint completes after the learner
   * processed what preceded its barrier.
   */
  public static void awaitLearner(EmbeddedKafka kafka, String group, int n) throws Exception {
    long deadline = System.currentTimeMillis() + 600_000;
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    try (var admin = org.apache.kafka.clients.admin.Admin.create(p)) {
      while (true) {
        long committed = committed(admin, group);
        if (committed >= n) {
          return;
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException(
              "the learner did not reach event " + n + " within 10 minutes (at " + committed + ")");
        }
        Thread.sleep(200);
      }
    }
  }
}
