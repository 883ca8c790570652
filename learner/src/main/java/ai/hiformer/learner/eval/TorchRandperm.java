package ai.hiformer.learner.eval;

/**
 * The permutations of PyTorch's {@code torch.randperm(n,
 * generator=torch.Generator().manual_seed(seed))} on the CPU (1.13): a 32-bit Mersenne Twister
 * (MT19937, {@code init_genrand} seeding) driving a Fisher–Yates pass {@code swap(r[i], r[i +
 * next() % (n − i)])} from the identity. Successive calls continue the generator, as successive
 * {@code randperm} calls on one generator do.
 *
 * <p>docs/PROTOCOL.md §3.1 shuffles the offline training rows "with a generator seeded 1000 +
 * seed"; this is the reference's generator, so every epoch sees the reference's order (LR, which
 * starts at zero, then reproduces the reference's offline numbers to four decimals;
 * docs/RESULTS.md).
 */
public final class TorchRandperm {
  private static final int N = 624;
  private static final int M = 397;
  private final int[] mt = new int[N];
  private int index = N;

  public TorchRandperm(long seed) {
    mt[0] = (int) seed;
    for (int i = 1; i < N; i++) {
      mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
    }
  }

  /** The next 32-bit output, as an unsigned value. */
  long nextUnsigned() {
    if (index >= N) {
      for (int i = 0; i < N; i++) {
        int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
        mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    int y = mt[index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y & 0xffffffffL;
  }

  /** Fills {@code out} with the next permutation of 0 … out.length − 1. */
  public void next(int[] out) {
    int n = out.length;
    for (int i = 0; i < n; i++) {
      out[i] = i;
    }
    for (int i = 0; i < n - 1; i++) {
      int z = (int) (nextUnsigned() % (n - i));
      int tmp = out[i];
      out[i] = out[z + i];
      out[z + i] = tmp;
    }
  }
}
