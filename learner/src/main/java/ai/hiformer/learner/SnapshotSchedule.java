package ai.hiformer.learner;

/**
 * When a model's next snapshot is due: every {@code everyExamples} examples trained, or every
 * {@code everyEventTimeMillis} of event time, since the last one (0 disables a rule; both 0: no
 * snapshots). The rules are configuration; where the last snapshot stood is state.
 */
final class SnapshotSchedule {
  private long everyExamples;
  private long everyEventTimeMillis;
  long lastExamples; // trained examples at the last snapshot (state)
  long lastEventTimeMillis = Long.MIN_VALUE; // the newest event time then (state)

  /** Sets the rules; not part of the state. */
  void policy(long everyExamples, long everyEventTimeMillis) {
    this.everyExamples = everyExamples;
    this.everyEventTimeMillis = everyEventTimeMillis;
  }

  private boolean enabled() {
    return everyExamples > 0 || everyEventTimeMillis > 0;
  }

  /**
   * Whether a snapshot is due with {@code trainedExamples} trained and {@code maxEventTimeMillis}
   * the newest event time; when it is, it counts as taken.
   */
  boolean takeIfDue(long trainedExamples, long maxEventTimeMillis) {
    if (!enabled() || trainedExamples == lastExamples) {
      return false; // off, or nothing new learned
    }
    boolean byCount = everyExamples > 0 && trainedExamples - lastExamples >= everyExamples;
    boolean byTime =
        everyEventTimeMillis > 0
            && (lastEventTimeMillis == Long.MIN_VALUE
                || maxEventTimeMillis - lastEventTimeMillis >= everyEventTimeMillis);
    if (!byCount && !byTime) {
      return false;
    }
    taken(trainedExamples, maxEventTimeMillis);
    return true;
  }

  /**
   * At the end of a bounded input: whether anything was learned since the last snapshot (with
   * snapshots on); the caller records it as taken when it takes it.
   */
  boolean dueAtEnd(long trainedExamples) {
    return enabled() && trainedExamples != lastExamples;
  }

  void taken(long trainedExamples, long maxEventTimeMillis) {
    lastExamples = trainedExamples;
    lastEventTimeMillis = maxEventTimeMillis;
  }
}
