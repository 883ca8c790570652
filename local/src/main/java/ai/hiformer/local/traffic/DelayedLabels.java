package ai.hiformer.local.traffic;

import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import java.time.Instant;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Turns a logged stream of labelled events into the traffic a production system sees: each event
 * becomes an impression without labels, and its positive labels (a click, a conversion) follow
 * later as {@link Label} records, after a delay drawn per event from an exponential distribution.
 * Negatives are never sent: as in production, an impression whose label does not come within the
 * job's window counts as a negative.
 *
 * <p>Delays are in event time: a label's time is its event's time plus the delay, and the output
 * keeps event-time order (before each impression, every label whose time is at or before the
 * impression's). So a replay sends the same interleaving of impressions and labels whatever its
 * speed, and a job that joins in event time learns the same examples from a fast replay as from a
 * slow one. The draws come from a seeded generator, one per event in stream order: the same stream
 * and seed give the same delays.
 *
 * <p>Not thread-safe. Feed events in event-time order with {@link #offer}, then {@link #finish}.
 */
public final class DelayedLabels {
  /** One record to send, on the events topic or the labels topic. */
  public sealed interface Out permits Impression, DelayedLabel {
    /** Event time in epoch milliseconds. */
    long timeMillis();
  }

  /** An event with its labels removed. */
  public record Impression(Event event) implements Out {
    @Override
    public long timeMillis() {
      return event.getEventTime().toEpochMilli();
    }
  }

  /** A positive label, {@code delayMillis} after its impression in event time. */
  public record DelayedLabel(Label label, long delayMillis) implements Out {
    @Override
    public long timeMillis() {
      return label.getTime().toEpochMilli();
    }
  }

  private final double meanDelayMillis;
  private final SplittableRandom random;
  private final PriorityQueue<DelayedLabel> waiting =
      new PriorityQueue<>(java.util.Comparator.comparingLong(DelayedLabel::timeMillis));
  private long labelsSent;

  /**
   * @param meanDelayMillis the mean of the exponential delay, in milliseconds of event time; 0
   *     sends each label right after its impression
   * @param seed seeds the delays
   */
  public DelayedLabels(double meanDelayMillis, long seed) {
    if (!(meanDelayMillis >= 0) || Double.isInfinite(meanDelayMillis)) {
      throw new IllegalArgumentException(
          "mean label delay must be finite and >= 0 ms, got " + meanDelayMillis);
    }
    this.meanDelayMillis = meanDelayMillis;
    this.random = new SplittableRandom(seed);
  }

  /** The fraction of labels an exponential delay of this mean puts after {@code windowMillis}. */
  public static double fractionAfter(double meanDelayMillis, double windowMillis) {
    return meanDelayMillis == 0 ? 0 : Math.exp(-windowMillis / meanDelayMillis);
  }

  /**
   * The window after which {@code fractionLate} of the labels of this mean delay still arrive: the
   * inverse of {@link #fractionAfter}.
   */
  public static long windowFor(double meanDelayMillis, double fractionLate) {
    return Math.round(-meanDelayMillis * Math.log(fractionLate));
  }

  /**
   * Takes the next labelled event: passes on, in event-time order, every waiting label due at or
   * before its time, then the event without labels. Its positive labels wait for their time. {@code
   * event}'s labels map is replaced by an empty one.
   */
  public void offer(Event event, Consumer<Out> out) {
    long time = event.getEventTime().toEpochMilli();
    emitDue(time, out);
    // One draw per event whether or not it has a positive label, so that the delays of a stream do
    // not depend on its labels.
    long delay = Math.round(-meanDelayMillis * Math.log(1 - random.nextDouble()));
    for (Map.Entry<String, Double> task : event.getLabels().entrySet()) {
      if (task.getValue() != null && task.getValue() > 0.5) {
        waiting.add(
            new DelayedLabel(
                Label.newBuilder()
                    .setRequestId(event.getRequestId())
                    .setModelId(event.getModelId())
                    .setTask(task.getKey())
                    .setValue(1.0)
                    .setTime(Instant.ofEpochMilli(time + delay))
                    .build(),
                delay));
      }
    }
    event.setLabels(Map.of());
    out.accept(new Impression(event));
  }

  /** Passes on every label still waiting, in event-time order (the stream has ended). */
  public void finish(Consumer<Out> out) {
    emitDue(Long.MAX_VALUE, out);
  }

  /** Labels passed on so far. */
  public long labelsSent() {
    return labelsSent;
  }

  /** Labels waiting for their time. */
  public int labelsWaiting() {
    return waiting.size();
  }

  private void emitDue(long time, Consumer<Out> out) {
    while (!waiting.isEmpty() && waiting.peek().timeMillis() <= time) {
      labelsSent++;
      out.accept(waiting.poll());
    }
  }
}
