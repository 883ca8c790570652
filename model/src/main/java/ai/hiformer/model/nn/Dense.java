package ai.hiformer.model.nn;

import ai.hiformer.model.math.Blas;
import ai.hiformer.model.math.Precision;
import java.util.SplittableRandom;

/**
 * A stack of {@code slices} affine maps {@code y = x · W_s + b_s}, W_s of shape (in, out), b_s of
 * (out). One slice is an ordinary linear layer; several slices are the token-specific projections
 * of the heterogeneous layers (slice s serves token s). The caller owns every activation buffer.
 */
public final class Dense {
  private final Param weight;
  private final Param bias; // null when the map has no bias
  private final int slices;
  private final int in;
  private final int out;
  private final Precision precision; // the model's

  public Dense(ParamStore store, String name, int slices, int in, int out, boolean withBias) {
    this.slices = slices;
    this.in = in;
    this.out = out;
    this.precision = store.precision();
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
    if (bias != null) {
      Blas.addRowVector(n, out, bias.value(), s * out, y, yOff, ldy);
    }
  }

  /** Contiguous rows x (n, in) → {@code y (n, out) += x · W_0 (+ b_0)}. */
  public void forwardAccumulate(int n, double[] x, double[] y) {
    Blas.gemmNN(precision, n, out, in, x, 0, in, weight.value(), 0, out, y, 0, out, true);
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
    if (dx != null) {
      // dx (n, in) += dy (n, out) · Wᵀ (out, in)
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
}
