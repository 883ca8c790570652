package ai.hiformer.cli.stream;

import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * An endless stream of events made from a base of labelled ones, stamped as they are sent: event
 * {@code i} is base event {@code i mod n} with request id {@code r<i>} and the event time given at
 * send time. Cheap to generate at tens of thousands a second: each base event is encoded once, and
 * an event is made by splicing its request id and time into those bytes (both fields come before
 * the feature maps in the Avro record).
 *
 * <p>With {@link Traffic.Labels#TOPIC}, events go without labels and each positive label is due
 * {@code delay} after its event, delays exponential with a given mean, drawn per event from a
 * seeded generator; {@link #dueLabels} gives those whose time has come, encoded for the labels
 * topic. With {@link Traffic.Labels#INLINE}, events keep their labels. Not thread-safe.
 */
public final class LiveTraffic {
  private static final int HEADER = 10;
  private static final int MAX_TASKS = 64; // a queued label's item: event index · 64 + task

  private final byte[][] prefixes; // header
  private final byte[][] middles; // model id (length + bytes)
  private final byte[][] rests; // everything after the event time
  private final String[][] positives; // tasks with a positive label, per base event
  private final String modelId;
  private final boolean labelsOnTopic;
  private final double meanDelayMillis;
  private final SplittableRandom random;
  private final WireCodec<Label> labelCodec = WireCodec.labels();
  private final DueQueue waiting = new DueQueue();
  private final byte[] scratch = new byte[1 << 16];

  /**
   * @param base labelled events of one model id (their request ids and times are replaced)
   */
  public LiveTraffic(List<Event> base, Traffic.Labels labels, double meanDelayMillis, long seed) {
    int n = base.size();
    prefixes = new byte[n][];
    middles = new byte[n][];
    rests = new byte[n][];
    positives = new String[n][];
    labelsOnTopic = labels == Traffic.Labels.TOPIC;
    this.meanDelayMillis = meanDelayMillis;
    random = new SplittableRandom(seed);
    modelId = base.get(0).getModelId();
    WireCodec<Event> codec = WireCodec.events();
    for (int i = 0; i < n; i++) {
      Event e = Event.newBuilder(base.get(i)).setRequestId("").setEventTime(Instant.EPOCH).build();
      List<String> pos = new ArrayList<>();
      for (Map.Entry<String, Double> t : e.getLabels().entrySet()) {
        if (t.getValue() != null && t.getValue() > 0.5) {
          pos.add(t.getKey());
        }
      }
      if (pos.size() > MAX_TASKS) {
        throw new IllegalArgumentException(
            "at most " + MAX_TASKS + " tasks an event, not " + pos.size());
      }
      positives[i] = pos.toArray(new String[0]);
      if (labelsOnTopic) {
        e.setLabels(Map.of());
      }
      byte[] b = codec.encode(e);
      // header | 0x00 (empty request id) | model id | 0x00 (time 0) | rest
      int modelLength = readVarint(b, HEADER + 1);
      int modelEnd = HEADER + 1 + varintSize(zigzag(modelLength)) + modelLength;
      prefixes[i] = java.util.Arrays.copyOfRange(b, 0, HEADER);
      middles[i] = java.util.Arrays.copyOfRange(b, HEADER + 1, modelEnd);
      rests[i] = java.util.Arrays.copyOfRange(b, modelEnd + 1, b.length);
    }
  }

  /**
   * Event {@code index} at {@code timeMillis}, encoded; with labels on their topic, its positive
   * labels are queued for {@link #dueLabels}.
   */
  public byte[] event(long index, long timeMillis) {
    int i = (int) (index % prefixes.length);
    byte[] id = ("r" + index).getBytes(StandardCharsets.UTF_8);
    System.arraycopy(prefixes[i], 0, scratch, 0, HEADER);
    int at = HEADER;
    at = writeVarLong(scratch, at, id.length);
    System.arraycopy(id, 0, scratch, at, id.length);
    at += id.length;
    System.arraycopy(middles[i], 0, scratch, at, middles[i].length);
    at += middles[i].length;
    at = writeVarLong(scratch, at, timeMillis);
    System.arraycopy(rests[i], 0, scratch, at, rests[i].length);
    at += rests[i].length;
    if (labelsOnTopic) {
      long delay = Math.round(-meanDelayMillis * Math.log(1 - random.nextDouble()));
      for (int t = 0; t < positives[i].length; t++) {
        waiting.add(timeMillis + delay, index * MAX_TASKS + t);
      }
    }
    return java.util.Arrays.copyOf(scratch, at);
  }

  /** Labels due at or before {@code nowMillis}, encoded for the labels topic, in time order. */
  public List<byte[]> dueLabels(long nowMillis) {
    List<byte[]> out = new ArrayList<>();
    while (!waiting.isEmpty() && waiting.firstDue() <= nowMillis) {
      long due = waiting.firstDue();
      long index = waiting.firstItem() / MAX_TASKS;
      int task = (int) (waiting.firstItem() % MAX_TASKS);
      waiting.removeFirst();
      int i = (int) (index % prefixes.length);
      out.add(
          labelCodec.encode(
              Label.newBuilder()
                  .setRequestId("r" + index)
                  .setModelId(modelId)
                  .setTask(positives[i][task])
                  .setValue(1.0)
                  .setTime(Instant.ofEpochMilli(due))
                  .build()));
    }
    return out;
  }

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private static int varintSize(long raw) {
    int n = 1;
    while ((raw & ~0x7FL) != 0) {
      raw >>>= 7;
      n++;
    }
    return n;
  }

  /** Writes {@code v} as Avro's zig-zag varint long; returns the position after it. */
  private static int writeVarLong(byte[] b, int at, long v) {
    long raw = zigzag(v);
    while ((raw & ~0x7FL) != 0) {
      b[at++] = (byte) ((raw & 0x7F) | 0x80);
      raw >>>= 7;
    }
    b[at++] = (byte) raw;
    return at;
  }

  /** Reads an Avro zig-zag varint (an int) at {@code at}. */
  private static int readVarint(byte[] b, int at) {
    long raw = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b[at++];
      raw |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        return (int) ((raw >>> 1) ^ -(raw & 1));
      }
    }
  }
}
