package ai.hiformer.learner.join;

/** Where {@link PendingExamples} releases an example: the request, its impression, its labels. */
@FunctionalInterface
public interface ReleaseSink {
  /**
   * @param impression the bytes given to {@link PendingExamples#impression}; not kept by the store
   *     afterwards
   * @param labelled bit t set: task t had a label (unset: no label by the deadline, a negative)
   * @param positive bit t set: task t's label is 1
   * @param windowClosed released by time rather than by its last label
   * @param latePositives per task, the time of a positive later than the deadline that came while
   *     the impression waited ({@code Long.MIN_VALUE}: none), or null when there is none: the
   *     example itself has them as unlabelled, and each is released next as an example of its own
   *     ({@link LatePositiveKeys}), due at its time
   */
  void release(
      String requestId,
      byte[] impression,
      long labelled,
      long positive,
      boolean windowClosed,
      long[] latePositives);
}
