package ai.hiformer.local.embedded;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.io.RowSink;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.local.traffic.DelayedLabels;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Replays a dataset (or the generated stream) into an events topic as Avro events of one model id,
 * at a fixed rate. Events are keyed by model id, so one model's events stay in one partition, in
 * stream order. Used by {@code hiformer run} (embedded broker), {@code hiformer replay} (any
 * broker) and the cluster tests.
 */
public final class Replayer {
  /**
   * Rows in stream order, fed to a sink until the rows end or the sink throws {@link
   * ReplaySource.Stop}.
   */
  public interface RowFeed {
    void read(RowSink sink) throws java.io.IOException;
  }

  private final FeatureSpec spec;
  private final RowFeed rows;
  private final String modelId;
  private final boolean liveTime;
  private final AtomicLong produced = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();

  public Replayer(ReplaySource source, String modelId) {
    this(source.spec(), source::read, modelId, false);
  }

  /**
   * Replays rows of {@code spec} from {@code rows} (a generator: {@link #endless}) as events of
   * {@code modelId}.
   *
   * @param liveTime each event's time is the wall clock's when it is sent, as live traffic's is
   *     (labels then follow in real time), instead of the row's own time: a paced replay of a log
   *     runs its event time far ahead of or behind the wall clock, which a job that lets a silent
   *     partition follow the wall clock sees as a jump
   */
  public Replayer(FeatureSpec spec, RowFeed rows, String modelId, boolean liveTime) {
    this.spec = spec;
    this.rows = rows;
    this.modelId = modelId;
    this.liveTime = liveTime;
  }

  /** The rows of an endless generator; the replay's limit ends them. */
  public static RowFeed endless(java.util.function.Supplier<? extends Row> next) {
    return sink -> {
      try {
        while (true) {
          try {
            sink.accept(next.get());
          } catch (BadRowException e) {
            sink.rejected("generated", e.getMessage());
          }
        }
      } catch (ReplaySource.Stop stop) {
        // the replay has sent what it wanted
      }
    };
  }

  /** Events sent so far. */
  public long produced() {
    return produced.get();
  }

  /** Rows the reader rejected (wrong field count, unparseable number, ...): counted and skipped. */
  public long rejected() {
    return rejected.get();
  }

  /**
   * Sends up to {@code limit} events to {@code topic}, {@code rate} per second (0 = as fast as
   * possible), then flushes. {@code onEvent} sees each event's request id and first task's label
   * (null when absent) before it is sent. Request ids are {@code <requestIdPrefix><index>}.
   *
   * @param producerProperties Kafka producer settings: bootstrap.servers at least (security
   *     settings pass through)
   */
  public void replay(
      Properties producerProperties,
      String topic,
      String requestIdPrefix,
      long limit,
      int rate,
      BiConsumer<String, Double> onEvent)
      throws Exception {
    replay(producerProperties, topic, null, null, requestIdPrefix, limit, rate, onEvent);
  }

  /**
   * As above; with {@code delayed} (not null), each event goes to {@code topic} without its labels
   * and its positive labels follow on {@code labelsTopic} as {@code delayed} schedules them, in
   * event-time order ({@link DelayedLabels}); {@code rate} paces the events only. Labels still due
   * when the data ends are sent at the end.
   */
  public void replay(
      Properties producerProperties,
      String topic,
      String labelsTopic,
      DelayedLabels delayed,
      String requestIdPrefix,
      long limit,
      int rate,
      BiConsumer<String, Double> onEvent)
      throws Exception {
    WireCodec<Label> labelCodec = WireCodec.labels();
    Properties p = new Properties();
    p.putAll(producerProperties);
    p.putIfAbsent("linger.ms", "5");
    RowToEvent convert = new RowToEvent(spec, modelId);
    WireCodec<Event> codec = WireCodec.events();
    String task = spec.tasks().get(0).name();
    byte[] key = modelId.getBytes(StandardCharsets.UTF_8);
    long start = System.nanoTime();
    long first = produced.get();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      RowSink sink =
          new RowSink() {
            @Override
            public void accept(Row row) throws BadRowException {
              long i = produced.get() - first;
              if (i >= limit) {
                throw new ReplaySource.Stop();
              }
              Event e = convert.convert(row, i);
              e.setRequestId(requestIdPrefix + i);
              if (liveTime) {
                e.setEventTime(java.time.Instant.ofEpochMilli(System.currentTimeMillis()));
              }
              onEvent.accept(e.getRequestId(), e.getLabels().get(task));
              if (delayed == null) {
                producer.send(new ProducerRecord<>(topic, key, codec.encode(e)));
              } else {
                delayed.offer(
                    e, out -> send(producer, out, topic, labelsTopic, key, codec, labelCodec));
              }
              produced.incrementAndGet();
              if (rate > 0) {
                long wait = start + (long) ((i + 1) * 1e9 / rate) - System.nanoTime();
                if (wait > 0) {
                  try {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                  } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new ReplaySource.Stop();
                  }
                }
              }
            }

            @Override
            public void rejected(String origin, String reason) {
              rejected.incrementAndGet();
            }
          };
      rows.read(sink);
      if (delayed != null) {
        delayed.finish(out -> send(producer, out, topic, labelsTopic, key, codec, labelCodec));
      }
      producer.flush();
    }
  }

  private static void send(
      KafkaProducer<byte[], byte[]> producer,
      DelayedLabels.Out out,
      String topic,
      String labelsTopic,
      byte[] key,
      WireCodec<Event> events,
      WireCodec<Label> labels) {
    if (out instanceof DelayedLabels.Impression i) {
      producer.send(new ProducerRecord<>(topic, key, events.encode(i.event())));
    } else {
      producer.send(
          new ProducerRecord<>(
              labelsTopic, key, labels.encode(((DelayedLabels.DelayedLabel) out).label())));
    }
  }
}
