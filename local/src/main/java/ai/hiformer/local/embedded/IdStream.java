package ai.hiformer.local.embedded;

import java.util.SplittableRandom;

/**
 * The generated stream of {@link SyntheticStream} (same columns, same click model, {@code
 * specs/synthetic.json}) over many ids, for model-size benchmarks: {@code distinctIds} ids split
 * between users and items. The first {@link #coverage()} events visit every user and every item
 * once (so the model really holds all their rows); after that users and items repeat Zipf-like
 * (rank r drawn with probability about 1/(r·ln n): a few ids are very frequent, most rare), as ids
 * do in recommendation traffic. Each id's bias is a function of the id, not a stored table, so a
 * stream of 10^7 ids costs no memory.
 */
public final class IdStream {
  private final SyntheticStream base;
  private final SplittableRandom rng;
  private final long seed;
  private final int users;
  private final int items;
  private final long userStride;
  private final long itemStride;
  private long emitted;

  public IdStream(long seed, int distinctIds) {
    if (distinctIds < 2) {
      throw new IllegalArgumentException(
          "invalid distinct-ids = " + distinctIds + "; allowed: >= 2");
    }
    this.seed = seed;
    base = new SyntheticStream(seed);
    rng = base.random();
    users = distinctIds / 2;
    items = distinctIds - users;
    userStride = stride(users);
    itemStride = stride(items);
  }

  /** Events until every id has been seen once. */
  public int coverage() {
    return Math.max(users, items);
  }

  public SyntheticStream.Event next() {
    int user;
    int item;
    if (emitted < coverage()) {
      // Every id once, in a scrambled order (a stride coprime to the count walks all of them).
      user = (int) ((emitted % users) * userStride % users);
      item = (int) ((emitted % items) * itemStride % items);
    } else {
      user = zipf(users);
      item = zipf(items);
    }
    emitted++;
    return base.draw(user, item, 0.4 * gaussian(seed, 1, user), 0.6 * gaussian(seed, 2, item));
  }

  /** Zipf-like rank in [0, n): n^u − 1 for uniform u, so P(rank < k) ≈ ln(k + 1) / ln n. */
  private int zipf(int n) {
    return (int) Math.min(n - 1, Math.floor(Math.pow(n, rng.nextDouble())) - 1);
  }

  /** A standard normal that depends only on (seed, field, id): an id's bias, stored nowhere. */
  static double gaussian(long seed, int field, long id) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + field * 0xC2B2AE3D27D4EB4FL + id)
        .nextGaussian();
  }

  private static long stride(int n) {
    long s = 0x9E3779B1L % n;
    while (gcd(s, n) != 1) {
      s++;
    }
    return Math.max(1, s);
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }
}
