package ai.hiformer.learner;

/**
 * Which negatives a model learns when it learns only a share r of them ({@code
 * learn.negative-sampling}): decided by a hash of the request id and the task, so a replay, a
 * restart from a checkpoint and every subtask keep the same ones, and each task's negatives are
 * kept independently with probability r (what {@link ai.hiformer.model.train.LabelPolicy}'s
 * correction assumes).
 */
public final class NegativeSampling {
  private NegativeSampling() {}

  /** Whether the negative of {@code task} for {@code requestId} is kept at rate {@code r}. */
  public static boolean keeps(String requestId, int task, double r) {
    return r >= 1 || uniform(requestId, task + 1L) < r;
  }

  /**
   * Which of {@code learners} learns the example of {@code requestId} ({@code learn.parallelism}):
   * the same hash, under a salt of its own, so it is independent of which negatives are kept.
   */
  public static int learnerOf(String requestId, int learners) {
    return learners == 1 ? 0 : (int) (uniform(requestId, 0) * learners);
  }

  /** A uniform draw in [0, 1) from the request id and a salt, the same everywhere. */
  private static double uniform(String requestId, long salt) {
    // FNV-1a over the UTF-16 units, then SplitMix64's finaliser: the top 53 bits as a uniform draw.
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < requestId.length(); i++) {
      h = (h ^ requestId.charAt(i)) * 0x100000001b3L;
    }
    h ^= 0x9E3779B97F4A7C15L * salt;
    h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
    h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
    h ^= h >>> 31;
    return (h >>> 11) * 0x1.0p-53;
  }
}
