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
}
