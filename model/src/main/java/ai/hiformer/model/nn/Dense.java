package ai.hiformer.model.nn;

import ai.hiformer.model.math.Blas;
import ai.hiformer.model.math.FloatGemm;
import ai.hiformer.model.math.Precision;
import java.util.SplittableRandom;

/**
 * A stack of {@code slices} affine maps {@code y = x · W_s + b_s}, W_s of shape (in, out), b_s of
 * (out). One slice is an ordinary linear layer; several slices are the token-specific projections
 * of the heterogeneous layers (slice s serves token s). The caller owns every activation buffer.
 *
 * <p>Products that run on OpenBLAS in float read W from a float copy made once per version of the
 * store's weights, not rounded again at every product: at 8 rows a DCNv2 cross layer on Criteo
 * (640×640) spent more on rounding W than on the product, and DCNv2 now scores 2.6× as many
 * examples a second in batches of 8 (docs/benchmarks/score-dense-float-weights-2026-12-08). Not
 * thread-safe: one instance per thread, as every network instance is.
 */
public final class Dense {
  private final Param weight;
  private final Param bias; // null when the map has no bias
  private final int slices;
  private final int in;
  private final int out;
  private final Precision precision; // the model's
  private final ParamStore store;
  private final FloatGemm.Matrix floatWeight = new FloatGemm.Matrix(); // (slices·in, out)
  private long floatWeightVersion = -1;

  public Dense(ParamStore store, String name, int slices, int in, int out, boolean withBias) {
    this.slices = slices;
    this.in = in;
    this.out = out;
    this.precision = store.precision();
    this.store = store;
    this.weight =
        slices == 1
            ? store.create(name + ".W", in, out)
            : store.create(name + ".W", slices, in, out);
    this.bias =
        withBias
            ? (slices == 1
                ? store.create(name + ".b", out)
                : store.create(name + ".b", slices, out))
            : null;
  }

  /** {@link #initXavier(SplittableRandom)} for each matrix, in the order given. */
  public static void initXavier(SplittableRandom rng, Dense... matrices) {
    for (Dense m : matrices) {
      m.initXavier(rng);
    }
  }

  public void initXavier(SplittableRandom rng) {
    Init.xavierUniform(weight, slices, in, out, rng);
  }

  public Param weight() {
    return weight;
  }

  public Param bias() {
    return bias;
  }

  public int in() {
    return in;
  }

  public int out() {
    return out;
  }

  /**
   * Rows x (n, in) at stride ldx → y (n, out) at stride ldy, using slice {@code s}. y is
   * overwritten.
   */
  public void forward(int s, int n, double[] x, int xOff, int ldx, double[] y, int yOff, int ldy) {
    // (n, in) x (in, out) -> (n, out)
    if (Blas.floatNative(precision, n, out, in, xOff, s * in * out, yOff)) {
      Blas.gemmFloatB(false, n, out, in, x, ldx, floatWeight(), s * in * out, out, y, ldy, false);
    } else {
      Blas.gemmNN(
          precision,
          n,
          out,
          in,
          x,
          xOff,
          ldx,
          weight.value(),
          s * in * out,
          out,
          y,
          yOff,
          ldy,
          false);
    }
    if (bias != null) {
      Blas.addRowVector(n, out, bias.value(), s * out, y, yOff, ldy);
    }
  }

  /** Contiguous rows x (n, in) → {@code y (n, out) += x · W_0 (+ b_0)}. */
  public void forwardAccumulate(int n, double[] x, double[] y) {
    if (Blas.floatNative(precision, n, out, in, 0, 0, 0)) {
      Blas.gemmFloatB(false, n, out, in, x, in, floatWeight(), 0, out, y, out, true);
    } else {
      Blas.gemmNN(precision, n, out, in, x, 0, in, weight.value(), 0, out, y, 0, out, true);
    }
    if (bias != null) {
      Blas.addRowVector(n, out, bias.value(), 0, y, 0, out);
    }
  }

  /**
   * Accumulates dW and db of slice s from x and dy, and, when {@code dx} is not null, adds {@code
   * dy · Wᵀ} into dx (n, in).
   */
  public void backward(
      int s,
      int n,
      double[] x,
      int xOff,
      int ldx,
      double[] dy,
      int dyOff,
      int ldy,
      double[] dx,
      int dxOff,
      int lddx) {
    // dW (in, out) += xᵀ (in, n) · dy (n, out)
    Blas.gemmTN(
        precision,
        in,
        out,
        n,
        x,
        xOff,
        ldx,
        dy,
        dyOff,
        ldy,
        weight.grad(),
        s * in * out,
        out,
        true);
    if (bias != null) {
      Blas.sumRowsInto(n, out, dy, dyOff, ldy, bias.grad(), s * out);
    }
    if (dx != null && Blas.floatNative(precision, n, in, out, dyOff, s * in * out, dxOff)) {
      // dx (n, in) += dy (n, out) · Wᵀ (out, in)
      Blas.gemmFloatB(true, n, in, out, dy, ldy, floatWeight(), s * in * out, out, dx, lddx, true);
    } else if (dx != null) {
      Blas.gemmNT(
          precision,
          n,
          in,
          out,
          dy,
          dyOff,
          ldy,
          weight.value(),
          s * in * out,
          out,
          dx,
          dxOff,
          lddx,
          true);
    }
  }

  /** W of every slice in float, rounded again only when the store's weights have changed. */
  private FloatGemm.Matrix floatWeight() {
    long version = store.version();
    if (floatWeightVersion != version) {
      FloatGemm.toFloat(
          weight.value(), 0, out, slices * in, out, floatWeight.ensure(slices * in * out), 0, out);
      floatWeightVersion = version;
    }
    return floatWeight;
  }
}
