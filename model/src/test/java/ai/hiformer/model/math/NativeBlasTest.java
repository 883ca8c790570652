package ai.hiformer.model.math;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The products large enough to go to OpenBLAS ({@link Blas#NATIVE_MIN_MACS} and more) against plain
 * Java: a triple loop written here, and Blas's own Java kernels (which a non-zero offset selects).
 * The other float-path tests compare one native call with another, so a bug shared by both (a
 * transposition flag, a leading dimension, beta) would pass them; this one would not.
 *
 * <p>Tolerances are the classical error bound of a dot product of length k, elementwise {@code
 * |error| ≤ γ · Σ_p |a_ip · b_pj|} with γ = (k + 2)·u: u = 2⁻⁵³ with dgemm, u = 2⁻²⁴ with sgemm
 * (the operands and the accumulation are rounded to float).
 */
class NativeBlasTest {
  private final boolean floatBefore = Blas.floatProducts();

  @AfterEach
  void restorePrecision() {
    Blas.setFloatProducts(floatBefore);
  }

  enum Op {
    NN,
    NT,
    TN
  }

  @ParameterizedTest(name = "{0} {1}x{2}x{3} accumulate={4} float={5}")
  @CsvSource({
    "NN, 67, 45, 33, false, false",
    "NN, 67, 45, 33, true, false",
    "NN, 67, 45, 33, false, true",
    "NN, 67, 45, 33, true, true",
    "NT, 40, 70, 29, false, false",
    "NT, 40, 70, 29, true, false",
    "NT, 40, 70, 29, false, true",
    "NT, 40, 70, 29, true, true",
    "TN, 53, 38, 41, false, false",
    "TN, 53, 38, 41, true, false",
    "TN, 53, 38, 41, false, true",
    "TN, 53, 38, 41, true, true"
  })
  void aNativeProductMatchesPlainJavaLoops(
      Op op, int m, int n, int k, boolean accumulate, boolean floats) {
    assertThat(NativeBlas.AVAILABLE)
        .as("OpenBLAS loads (a Maven dependency of this module)")
        .isTrue();
    assertThat((long) m * n * k)
        .as("large enough for the native path")
        .isGreaterThanOrEqualTo(Blas.NATIVE_MIN_MACS);
    Blas.setFloatProducts(floats);
    SplittableRandom rng = new SplittableRandom(31L * m + n + k);
    // A is (m×k), or stored (k×m) for TN; B is (k×n), or stored (n×k) for NT.
    double[] a = random(rng, m * k);
    double[] b = random(rng, k * n);
    double[] c0 = random(rng, m * n);

    double[] exact = new double[m * n];
    double[] magnitude = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = accumulate ? c0[i * n + j] : 0;
        double abs = accumulate ? Math.abs(c0[i * n + j]) : 0;
        for (int p = 0; p < k; p++) {
          double x = op == Op.TN ? a[p * m + i] : a[i * k + p];
          double y = op == Op.NT ? b[j * k + p] : b[p * n + j];
          sum += x * y;
          abs += Math.abs(x * y);
        }
        exact[i * n + j] = sum;
        magnitude[i * n + j] = abs;
      }
    }
    double unit = floats ? Math.ulp(1.0f) / 2 : Math.ulp(1.0) / 2;
    double gamma = (k + 2) * unit;

    double[] nativeC = c0.clone();
    product(op, m, n, k, a, 0, b, 0, nativeC, 0, accumulate);
    assertWithin(nativeC, 0, exact, magnitude, gamma, "native " + op);

    // Blas's Java kernels: a non-zero offset keeps a product in Java whatever its size.
    double[] a1 = shifted(a);
    double[] b1 = shifted(b);
    double[] javaC = shifted(c0);
    product(op, m, n, k, a1, 1, b1, 1, javaC, 1, accumulate);
    assertWithin(javaC, 1, exact, magnitude, (k + 2) * Math.ulp(1.0) / 2, "Java " + op);
  }

  private static void product(
      Op op,
      int m,
      int n,
      int k,
      double[] a,
      int aOff,
      double[] b,
      int bOff,
      double[] c,
      int cOff,
      boolean accumulate) {
    switch (op) {
      case NN -> Blas.gemmNN(m, n, k, a, aOff, k, b, bOff, n, c, cOff, n, accumulate);
      case NT -> Blas.gemmNT(m, n, k, a, aOff, k, b, bOff, k, c, cOff, n, accumulate);
      case TN -> Blas.gemmTN(m, n, k, a, aOff, m, b, bOff, n, c, cOff, n, accumulate);
      default -> throw new IllegalStateException();
    }
  }

  private static void assertWithin(
      double[] got, int off, double[] exact, double[] magnitude, double gamma, String what) {
    for (int i = 0; i < exact.length; i++) {
      double bound = gamma * magnitude[i];
      assertThat(Math.abs(got[off + i] - exact[i]))
          .as("%s element %d: %s vs %s", what, i, got[off + i], exact[i])
          .isLessThanOrEqualTo(bound);
    }
    // And the bound is not vacuous: the elements are far larger than it.
    double typical = Arrays.stream(magnitude).average().orElseThrow();
    assertThat(gamma * typical).isLessThan(1e-4 * typical);
  }

  private static double[] random(SplittableRandom rng, int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = rng.nextDouble(-2, 2);
    }
    return x;
  }

  private static double[] shifted(double[] x) {
    double[] y = new double[x.length + 1];
    y[0] = Double.NaN; // never read: a kernel that ignores the offset fails at once
    System.arraycopy(x, 0, y, 1, x.length);
    return y;
  }
}
