package ai.hiformer.model.nn;

import java.util.Arrays;

/**
 * LayerNorm over the last dimension (width d), shared by all tokens: {@code y = γ (x-μ)/sqrt(σ²+ε)
 * + β}, biased variance, ε = 1e-5 (docs/PROTOCOL.md §2.2). Keeps x̂ and 1/σ of the last forward for
 * backward.
 */
public final class LayerNorm {
  public static final double EPS = 1e-5;
  private final Param gamma;
  private final Param beta;
  private final int d;
  private double[] xhat;
  private double[] invStd;

  public LayerNorm(ParamStore store, String name, int d) {
    this.d = d;
    this.gamma = store.create(name + ".gamma", d);
    this.beta = store.create(name + ".beta", d);
    Arrays.fill(gamma.value(), 1.0);
  }

  public Param gamma() {
    return gamma;
  }

  public Param beta() {
    return beta;
  }

  /** x (rows, d) contiguous → y (rows, d); y may alias x. */
  public void forward(int rows, double[] x, double[] y) {
    xhat = Buffers.ensure(xhat, rows * d);
    invStd = Buffers.ensure(invStd, rows);
    double[] g = gamma.value();
    double[] b = beta.value();
    for (int r = 0; r < rows; r++) {
      int o = r * d;
      double mean = 0;
      for (int j = 0; j < d; j++) {
        mean += x[o + j];
      }
      mean /= d;
      double var = 0;
      for (int j = 0; j < d; j++) {
        double c = x[o + j] - mean;
        var += c * c;
      }
      var /= d;
      double is = 1.0 / Math.sqrt(var + EPS);
      invStd[r] = is;
      for (int j = 0; j < d; j++) {
        double xh = (x[o + j] - mean) * is;
        xhat[o + j] = xh;
        y[o + j] = g[j] * xh + b[j];
      }
    }
  }

  /** dy (rows, d) → dx (rows, d) (overwritten; may alias dy); accumulates dγ, dβ. */
  public void backward(int rows, double[] dy, double[] dx) {
    double[] g = gamma.value();
    double[] dg = gamma.grad();
    double[] db = beta.grad();
    for (int r = 0; r < rows; r++) {
      int o = r * d;
      double sumG = 0;
      double sumGx = 0;
      for (int j = 0; j < d; j++) {
        double gy = dy[o + j];
        dg[j] += gy * xhat[o + j];
        db[j] += gy;
        double gxh = gy * g[j];
        sumG += gxh;
        sumGx += gxh * xhat[o + j];
      }
      double is = invStd[r];
      for (int j = 0; j < d; j++) {
        double gxh = dy[o + j] * g[j];
        dx[o + j] = is * (gxh - sumG / d - xhat[o + j] * sumGx / d);
      }
    }
  }
}
