package ai.hiformer.model.math;

/** Element-wise non-linearities with their derivatives, computed from the pre-activation. */
public enum Activation {
  RELU {
    @Override
    public double apply(double x) {
      return x > 0 ? x : 0.0;
    }

    @Override
    public double derivative(double x) {
      return x > 0 ? 1.0 : 0.0;
    }
  },
  /** GELU, exact form {@code x Φ(x)} (the paper's FFN non-linearity). */
  GELU {
    private static final double INV_SQRT2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;

    @Override
    public double apply(double x) {
      return 0.5 * x * (1.0 + Erf.erf(x * INV_SQRT2));
    }

    @Override
    public double derivative(double x) {
      return 0.5 * (1.0 + Erf.erf(x * INV_SQRT2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    }
  };

  public abstract double apply(double x);

  public abstract double derivative(double x);

  /** {@code out[i] = f(pre[i])} for {@code n} elements. */
  public void forward(double[] pre, int preOff, double[] out, int outOff, int n) {
    for (int i = 0; i < n; i++) {
      out[outOff + i] = apply(pre[preOff + i]);
    }
  }

  /** {@code grad[i] *= f'(pre[i])}, in place. */
  public void backwardInPlace(double[] pre, int preOff, double[] grad, int gradOff, int n) {
    for (int i = 0; i < n; i++) {
      grad[gradOff + i] *= derivative(pre[preOff + i]);
    }
  }
}
