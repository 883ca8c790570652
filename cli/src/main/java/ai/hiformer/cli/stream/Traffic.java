package ai.hiformer.cli.stream;

import ai.hiformer.local.traffic.DelayedLabels;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * What a benchmark sends, in order: encoded records for the events topic and, when labels travel on
 * their own topic, for the labels topic. Event {@code i} has request id {@code r<i>}; the events
 * topic receives only events, so an event's offset is its index.
 */
public final class Traffic {
  /** How labels reach the job. */
  public enum Labels {
    /** Each event carries its labels (a replayed log; the job's label join is skipped). */
    INLINE,
    /** Impressions on the events topic, positive labels on the labels topic after a delay. */
    TOPIC;

    /** The option's value: {@code inline} or {@code topic}. */
    public String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@code inline} or {@code topic}, naming the option and the allowed values. */
    public static Labels parse(String text) {
      for (Labels l : values()) {
        if (l.text().equals(text)) {
          return l;
        }
      }
      throw new IllegalArgumentException("invalid --labels '" + text + "'; allowed: inline, topic");
    }
  }

  /** One record: for the labels topic if {@code label}, else event {@code eventIndex}. */
  public record Send(boolean label, byte[] value, int eventIndex) {}

  private final List<Send> sends;
  private final int[] positionAfterEvent;
  private final long labels;

  private Traffic(List<Send> sends, int events, long labels) {
    this.sends = sends;
    this.labels = labels;
    positionAfterEvent = new int[events + 1];
    for (int p = 0; p < sends.size(); p++) {
      if (!sends.get(p).label()) {
        positionAfterEvent[sends.get(p).eventIndex() + 1] = p + 1;
      }
    }
  }

  /** Each event sent with its labels. */
  /**
   * The load generator's producer: as a user's producer would send, with the client's defaults (a 5
   * ms linger, as librdkafka's); --load KEY=VALUE sets a producer config.
   */
  public static KafkaProducer<byte[], byte[]> loadProducer(String bootstrapServers) {
    java.util.Properties p = new java.util.Properties();
    p.put("bootstrap.servers", bootstrapServers);
    p.putAll(BenchmarkHooks.experiments("load"));
    p.put("client.id", ThreadCpu.LOAD_CLIENT_PREFIX + "-load");
    return new KafkaProducer<>(
        p,
        new org.apache.kafka.common.serialization.ByteArraySerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer());
  }

  /**
   * One traffic per label path named in {@code labels} ({@code inline}, {@code topic}), each over
   * its own copy of the events (labels on their topic: delays exponential with mean {@code
   * labelDelayMillis}, sent at {@code rate}).
   *
   * @throws IllegalArgumentException for an unknown label path
   */
  public static java.util.Map<Labels, Traffic> byLabels(
      List<String> labels, List<Event> events, double labelDelayMillis, int rate) {
    java.util.Map<Labels, Traffic> traffic = new java.util.EnumMap<>(Labels.class);
    for (String l : labels) {
      Labels path = Labels.parse(l);
      List<Event> copy = events.stream().map(e -> Event.newBuilder(e).build()).toList();
      traffic.put(
          path,
          path == Labels.INLINE
              ? inline(copy)
              : delayedLabels(copy, labelDelayMillis, 11, rate, System.currentTimeMillis()));
    }
    return traffic;
  }

  public static Traffic inline(List<Event> events) {
    WireCodec<Event> codec = WireCodec.events();
    List<Send> sends = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      sends.add(new Send(false, codec.encode(events.get(i)), i));
    }
    return new Traffic(sends, events.size(), 0);
  }

  /**
   * Impressions, and their positive labels after a delay drawn per event (exponential, mean {@code
   * meanDelayMillis} of event time, seeded). Event {@code i}'s time becomes {@code startMillis + i
   * * 1000 / rate}: the events' times follow the paced schedule, so the labels' delays are in the
   * same milliseconds as the stream's pace. Modifies {@code events} (times, labels).
   */
  public static Traffic delayedLabels(
      List<Event> events, double meanDelayMillis, long seed, int rate, long startMillis) {
    WireCodec<Event> eventCodec = WireCodec.events();
    WireCodec<Label> labelCodec = WireCodec.labels();
    DelayedLabels delayed = new DelayedLabels(meanDelayMillis, seed);
    List<Send> sends = new ArrayList<>(events.size() * 2);
    int[] index = {0};
    java.util.function.Consumer<DelayedLabels.Out> out =
        o -> {
          if (o instanceof DelayedLabels.DelayedLabel l) {
            sends.add(new Send(true, labelCodec.encode(l.label()), -1));
          } else {
            sends.add(
                new Send(
                    false, eventCodec.encode(((DelayedLabels.Impression) o).event()), index[0]));
          }
        };
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      e.setEventTime(Instant.ofEpochMilli(startMillis + (long) (i * 1000.0 / rate)));
      index[0] = i;
      delayed.offer(e, out);
    }
    delayed.finish(out);
    return new Traffic(sends, events.size(), delayed.labelsSent());
  }

  /** Everything to send, in order. */
  public List<Send> sends() {
    return sends;
  }

  /**
   * The position in {@link #sends()} just after event {@code index - 1}: where event {@code
   * index}'s phase starts.
   */
  public int positionOfEvent(int index) {
    return index == 0 ? 0 : positionAfterEvent[index];
  }

  /** Events in the traffic. */
  public int events() {
    return positionAfterEvent.length - 1;
  }

  /** Labels on the labels topic. */
  public long labels() {
    return labels;
  }

  /** The record of a send: an event for the events topic, a label for the labels topic. */
  public static ProducerRecord<byte[], byte[]> record(byte[] key, Send send) {
    return new ProducerRecord<>(send.label() ? "labels" : "events", key, send.value());
  }

  /**
   * Sends events {@code [fromEvent, toEvent)} and the labels between them at once, then flushes.
   */
  public void sendAtOnce(
      KafkaProducer<byte[], byte[]> producer, byte[] key, int fromEvent, int toEvent) {
    for (int i = positionOfEvent(fromEvent); i < positionOfEvent(toEvent); i++) {
      producer.send(record(key, sends.get(i)));
    }
    producer.flush();
  }

  /**
   * Sends every event from {@code fromEvent} on at {@code rate} events/s, each label as soon as the
   * event before it in the send order has gone, then flushes.
   */
  public void sendPaced(
      KafkaProducer<byte[], byte[]> producer, byte[] key, int fromEvent, int rate) {
    long start = System.nanoTime();
    for (int p = positionOfEvent(fromEvent); p < sends.size(); p++) {
      Send send = sends.get(p);
      if (!send.label()) {
        long due = start + (long) ((send.eventIndex() - fromEvent) * 1e9 / rate);
        // Park, not spin: a spinning producer burns a whole core that the job under test would
        // otherwise have (on two cores, half the machine). The latencies are taken from the
        // broker's append times, so the timer's slack (tens of microseconds) only jitters the
        // send times, not what is measured.
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
          LockSupport.parkNanos(wait);
        }
      }
      producer.send(record(key, send));
    }
    producer.flush();
  }
}
