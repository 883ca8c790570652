package ai.hiformer.learner.join;

/**
 * The keys under which {@link PendingExamples} holds late positives learned again: the request id
 * and the task, apart from every request id (which never holds the character U+0000).
 */
public final class LatePositiveKeys {
  private LatePositiveKeys() {}

  /** The key of a late positive of {@code task} for {@code requestId}. */
  public static String of(String requestId, int task) {
    return requestId + '\u0000' + task;
  }

  /** The request id of a key, late positive or not. */
  public static String requestIdOf(String key) {
    int at = key.indexOf('\u0000');
    return at < 0 ? key : key.substring(0, at);
  }

  /** Whether {@code key} is a late positive's. */
  public static boolean isLatePositive(String key) {
    return key.indexOf('\u0000') >= 0;
  }
}
