package ai.hiformer.learner;

/** How an example's labels reached the learner: what its weights depend on. */
public enum Arrival {
  /** With the event itself: final, never waited. */
  INLINE,
  /** Joined after waiting for them: a task unlabelled by the window's end is a negative. */
  JOINED,
  /** A positive that came after its impression's window, learned again. */
  LATE_POSITIVE
}
