package ai.hiformer.learner.join;

/**
 * What a label join did since these counts were last cleared, for metrics: the caller adds them to
 * its counters, then clears them.
 */
public final class JoinCounts {
  /** Examples released, by their last label or by their window closing. */
  public long joined;

  /** Of those, released by their window closing. */
  public long windowClosed;

  /** Labels whose impression never came. */
  public long orphanLabels;

  /** Impressions of a request already held or released (the first counts). */
  public long duplicateImpressions;

  /** Labels after their impression's window, or for a request already released. */
  public long lateLabels;

  /** Starts counting again from zero. */
  public void clear() {
    joined = 0;
    windowClosed = 0;
    orphanLabels = 0;
    duplicateImpressions = 0;
    lateLabels = 0;
  }
}
