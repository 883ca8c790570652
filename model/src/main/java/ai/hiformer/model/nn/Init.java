package ai.hiformer.model.nn;

import java.util.SplittableRandom;

/** Parameter initialisers of docs/PROTOCOL.md §2.1. */
public final class Init {
  private Init() {}

  /**
   * Xavier-uniform {@code U(±sqrt(6/(in+out)))} on {@code count} consecutive slices of (in, out).
   */
  public static void xavierUniform(Param p, int slices, int in, int out, SplittableRandom rng) {
    double[] v = p.value();
    double bound = Math.sqrt(6.0 / (in + out));
    int n = slices * in * out;
    if (n != v.length) {
      throw new IllegalArgumentException("xavier shape mismatch for " + p.name());
    }
    for (int i = 0; i < n; i++) {
      v[i] = (rng.nextDouble() * 2 - 1) * bound;
    }
  }

  public static void normal(Param p, double std, SplittableRandom rng) {
    double[] v = p.value();
    for (int i = 0; i < v.length; i++) {
      v[i] = gaussian(rng) * std;
    }
  }

  public static void fill(Param p, double value) {
    java.util.Arrays.fill(p.value(), value);
  }

  /** Standard normal by Box–Muller (deterministic for a given generator state). */
  public static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    if (u1 < 1e-300) {
      u1 = 1e-300;
    }
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /**
   * The seed of a new embedding row's generator, from the model's seed, the table, the row and its
   * generation (successive owners of a recycled id) alone: a row's first values do not depend on
   * the order in which rows are created.
   */
  static long rowSeed(long seed, int table, int row, long generation) {
    long h = seed * 0x9E3779B97F4A7C15L;
    h ^= (table * 0xC2B2AE3D27D4EB4FL) + 0x165667B19E3779F9L;
    h = Long.rotateLeft(h, 31) * 0x9E3779B97F4A7C15L;
    h ^= row * 0xD6E8FEB86659FD93L;
    h ^= generation * 0xFF51AFD7ED558CCDL;
    return h ^ (h >>> 29);
  }
}
