package ai.hiformer.local.chaos;

import java.time.Duration;

/**
 * What a chaos run does. Validated on construction, naming the option.
 *
 * @param length how long faults are injected while events flow
 * @param seed seeds the fault times, kinds, victims and downtimes, and the label delays
 * @param rate events per second, paced
 * @param minGap the shortest time between two faults (drawn uniformly up to {@code maxGap})
 * @param maxGap the longest time between two faults
 * @param maxDowntime a killed process stays down for a time drawn uniformly from 2 s to this
 * @param joinWindowMs the job's {@code join.window-ms}, in event time; labels are delayed by an
 *     exponential of half this mean, so about 13.5 % arrive after the window (late positives)
 * @param parallelism the job's parallelism
 * @param quiet no faults at all: a control run, where the checker must find nothing either
 * @param liveTime events carry the wall clock's time (live traffic) rather than the generated
 *     stream's own (15 s apart on average: the replay runs event time 3,000 times faster)
 */
public record ChaosSettings(
    Duration length,
    long seed,
    int rate,
    Duration minGap,
    Duration maxGap,
    Duration maxDowntime,
    long joinWindowMs,
    int parallelism,
    boolean quiet,
    boolean liveTime) {

  public ChaosSettings {
    if (length.isNegative() || length.isZero()) {
      throw new IllegalArgumentException("invalid minutes " + length + "; allowed: > 0");
    }
    if (rate < 1 || rate > 100_000) {
      throw new IllegalArgumentException("invalid rate " + rate + "; allowed: 1..100000");
    }
    if (minGap.toMillis() < 1000 || maxGap.compareTo(minGap) < 0) {
      throw new IllegalArgumentException(
          "invalid gaps " + minGap + ".." + maxGap + "; allowed: 1 s <= min <= max");
    }
    if (maxDowntime.toMillis() < 2000) {
      throw new IllegalArgumentException(
          "invalid max downtime " + maxDowntime + "; allowed: >= 2 s");
    }
    if (joinWindowMs < 1 || parallelism < 1) {
      throw new IllegalArgumentException("join window and parallelism must be >= 1");
    }
  }

  /** The mean delay of a positive label after its impression: half the join window. */
  public long labelDelayMs() {
    return joinWindowMs / 2;
  }

  /**
   * {@code minutes} of faults every 15 to 55 s (about 34 in 20 minutes), processes down for up to
   * 15 s, 200 events/s, a 20 s join window, parallelism 2.
   */
  public static ChaosSettings of(int minutes, long seed) {
    return new ChaosSettings(
        Duration.ofMinutes(minutes),
        seed,
        200,
        Duration.ofSeconds(15),
        Duration.ofSeconds(55),
        Duration.ofSeconds(15),
        20_000,
        2,
        false,
        true);
  }

  /** These settings at {@code eventsPerSecond}. */
  public ChaosSettings withRate(int eventsPerSecond) {
    return new ChaosSettings(
        length,
        seed,
        eventsPerSecond,
        minGap,
        maxGap,
        maxDowntime,
        joinWindowMs,
        parallelism,
        quiet,
        liveTime);
  }

  /** These settings without faults: a control run. */
  public ChaosSettings quietly() {
    return new ChaosSettings(
        length, seed, rate, minGap, maxGap, maxDowntime, joinWindowMs, parallelism, true, liveTime);
  }

  /** These settings with the generated stream's own event times. */
  public ChaosSettings withReplayTime() {
    return new ChaosSettings(
        length, seed, rate, minGap, maxGap, maxDowntime, joinWindowMs, parallelism, quiet, false);
  }
}
