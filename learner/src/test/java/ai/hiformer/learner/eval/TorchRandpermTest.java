package ai.hiformer.learner.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Expected values were printed by PyTorch 1.13 (Debian's python3-torch) with {@code g =
 * torch.Generator().manual_seed(s); torch.randperm(n, generator=g)}, called twice on one generator.
 */
class TorchRandpermTest {
  @Test
  void reproducesTorchRandpermIncludingTheSecondCallOnOneGenerator() {
    check(
        10, 1000, new int[] {7, 6, 9, 0, 5, 2}, new int[] {4, 3, 8}, new int[] {4, 1, 7, 3, 9, 0});
    check(
        1000,
        1001,
        new int[] {197, 193, 799, 223, 382, 701},
        new int[] {839, 227, 608},
        new int[] {283, 793, 980, 490, 312, 51});
    check(
        70000,
        1002,
        new int[] {20487, 25892, 57339, 25443, 19688, 51385},
        new int[] {59275, 3075, 38229},
        new int[] {21637, 49931, 20661, 45202, 62085, 8432});
  }

  private static void check(int n, long seed, int[] firstHead, int[] firstTail, int[] secondHead) {
    TorchRandperm g = new TorchRandperm(seed);
    int[] p = new int[n];
    g.next(p);
    assertThat(Arrays.copyOf(p, firstHead.length))
        .as("n=%d first call, head", n)
        .containsExactly(firstHead);
    assertThat(Arrays.copyOfRange(p, n - firstTail.length, n))
        .as("n=%d first call, tail", n)
        .containsExactly(firstTail);
    int[] sorted = p.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < n; i++) {
      assertThat(sorted[i]).isEqualTo(i);
    }
    g.next(p);
    assertThat(Arrays.copyOf(p, secondHead.length))
        .as("n=%d second call", n)
        .containsExactly(secondHead);
  }
}
