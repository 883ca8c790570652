package ai.hiformer.jobs.operators;

import java.util.HashMap;
import java.util.Map;

/**
 * When each model's partial micro-batch is due for an idle flush: trained once no event arrived for
 * {@code learn.flush-idle-ms}. Per key it remembers the last event's time and the timer registered
 * last (processing time, ms), so that the per-event path neither boxes a time nor registers a timer
 * that Flink would deduplicate. Not checkpointed: after a restore the first timer starts a key's
 * clock afresh.
 */
final class IdleFlush {
  /** Returned when there is no timer to register. */
  static final long NONE = Long.MIN_VALUE;

  private final long idleMillis;
  private final long quantum;
  private final Map<String, Clock> clocks = new HashMap<>();

  private static final class Clock {
    long lastEventMillis;
    long timerMillis = NONE;
  }

  /**
   * @param idleMillis flush-idle-ms, > 0
   */
  IdleFlush(long idleMillis) {
    this.idleMillis = idleMillis;
    this.quantum = Math.max(1, idleMillis / 4);
  }

  /**
   * The timer for a key whose last event came at {@code lastEventMillis}: the first multiple of a
   * quarter of flush-idle-ms after flush-idle-ms have passed. Rounded, so that a key registers at
   * most four timers per interval however many events it sees; a quarter, so that the last partial
   * micro-batch of a stream is trained at most a quarter-interval after it could be.
   */
  long timerFor(long lastEventMillis) {
    return ((lastEventMillis + idleMillis) / quantum + 1) * quantum;
  }

  /**
   * Records an event of {@code key} that left examples pending; returns the timer to register, or
   * {@link #NONE} when that timer is registered already.
   */
  long afterEvent(String key, long nowMillis) {
    Clock c = clocks.computeIfAbsent(key, k -> new Clock());
    c.lastEventMillis = nowMillis;
    long at = timerFor(nowMillis);
    if (at == c.timerMillis) {
      return NONE;
    }
    c.timerMillis = at;
    return at;
  }

  /**
   * At a timer of a key that has examples pending but no clock (the first timer after a restore):
   * starts its clock now, as a run without the restore would have counted, and returns the timer to
   * register; {@link #NONE} when the key has a clock.
   */
  long afterRestore(String key, long nowMillis) {
    if (clocks.containsKey(key)) {
      return NONE;
    }
    return afterEvent(key, nowMillis);
  }

  /** Whether {@code key} has seen no event for flush-idle-ms at {@code nowMillis}. */
  boolean idle(String key, long nowMillis) {
    Clock c = clocks.get(key);
    return c == null || nowMillis - c.lastEventMillis >= idleMillis;
  }
}
