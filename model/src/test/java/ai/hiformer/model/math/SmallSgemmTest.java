package ai.hiformer.model.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SmallSgemmTest {
  // Criteo's composite projection: (rows × 640) · (640 × 256), 163,840 multiply-adds a row.
  private static final int K = 640;
  private static final int N = 256;

  @Test
  void aShortBatchIsSplitOnlyWhereItsWholeProductIsTooLargeForTheDirectKernel() {
    assertThat(SmallSgemm.rowsPerCall(false, 7, N, K)).as("splitting off").isEqualTo(7);
    assertThat(SmallSgemm.rowsPerCall(true, 6, N, K)).as("983,040: direct as it is").isEqualTo(6);
    assertThat(SmallSgemm.rowsPerCall(true, 7, N, K)).as("1,146,880: slices of 6").isEqualTo(6);
    assertThat(SmallSgemm.rowsPerCall(true, 32, N, K)).isEqualTo(6);
    assertThat(SmallSgemm.rowsPerCall(true, 33, N, K)).as("long batches: one call").isEqualTo(33);
    assertThat(SmallSgemm.rowsPerCall(true, 8, 2_000, 1_000))
        .as("one row alone too large: one call")
        .isEqualTo(8);
  }

  @Test
  void aProductInSlicesOfRowsEqualsTheProduct() {
    assumeTrue(NativeBlas.AVAILABLE, "OpenBLAS is not loaded here");
    boolean machineDefault = SmallSgemm.split();
    try {
      for (int m : new int[] {7, 32}) { // slices 6 + 1, and 5 × 6 + 2
        for (boolean split : new boolean[] {true, false}) {
          SmallSgemm.setSplit(split);
          assertProductExact(m, split);
        }
      }
    } finally {
      SmallSgemm.setSplit(machineDefault);
    }
  }

  private static void assertProductExact(int m, boolean split) {
    SplittableRandom rng = new SplittableRandom(m);
    double[] a = new double[m * K];
    double[] b = new double[K * N];
    for (int i = 0; i < a.length; i++) {
      a[i] = rng.nextDouble(-1, 1);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = rng.nextDouble(-1, 1);
    }
    // A and C start past a margin, so that a slice that did not move its offsets would show.
    int margin = 5;
    FloatGemm.Matrix af = new FloatGemm.Matrix().ensure(margin * K + m * K);
    FloatGemm.Matrix bf = new FloatGemm.Matrix().ensure(K * N);
    FloatGemm.Matrix c = new FloatGemm.Matrix().ensure(margin * N + m * N);
    FloatGemm.toFloat(a, 0, K, m, K, af, margin * K, K);
    FloatGemm.toFloat(b, 0, N, K, N, bf, 0, N);
    FloatGemm.gemm(false, false, m, N, K, af, margin * K, K, bf, 0, N, c, margin * N, N);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < N; j++) {
        double exact = 0;
        for (int p = 0; p < K; p++) {
          exact += (float) a[i * K + p] * (double) (float) b[p * N + j];
        }
        // 640 float products summed, |C| about √640 ≈ 25 at most: float rounding is well below.
        assertThat((double) c.get(margin * N + i * N + j))
            .as("%d rows, split %s: C[%d, %d]", m, split, i, j)
            .isCloseTo(exact, org.assertj.core.data.Offset.offset(2e-3));
      }
    }
  }
}
