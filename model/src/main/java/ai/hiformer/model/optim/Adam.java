package ai.hiformer.model.optim;

import ai.hiformer.model.nn.Param;
import java.util.List;

/**
 * Adam for the dense parameters, torch semantics with bias correction (docs/PROTOCOL.md §3.1):
 * {@code m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; θ -= lr · (m/(1-β1^t)) / (sqrt(v/(1-β2^t)) +
 * ε)}. Its moments are state of one training run and belong to this instance.
 */
public final class Adam {
  private final List<Param> params;
  private final double lr;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double[][] m;
  private final double[][] v;
  private long step;

  public Adam(List<Param> params, double lr, double beta1, double beta2, double eps) {
    if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)) {
      throw new IllegalArgumentException(
          String.format(
              "invalid Adam settings lr=%s beta1=%s beta2=%s eps=%s", lr, beta1, beta2, eps));
    }
    this.params = List.copyOf(params);
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    m = new double[this.params.size()][];
    v = new double[this.params.size()][];
    for (int i = 0; i < m.length; i++) {
      m[i] = new double[this.params.get(i).size()];
      v[i] = new double[this.params.get(i).size()];
    }
  }

  public long step() {
    return step;
  }

  /** The moment arrays of parameter i (for snapshots): {@code [m, v]}. */
  public double[][] moments(int i) {
    return new double[][] {m[i], v[i]};
  }

  public void setStep(long step) {
    this.step = step;
  }

  /** Applies one update from the accumulated gradients (which are left as they are). */
  public void apply() {
    step++;
    double c1 = 1.0 - Math.pow(beta1, step);
    double c2 = 1.0 - Math.pow(beta2, step);
    double stepSize = lr / c1;
    double invSqrtC2 = 1.0 / Math.sqrt(c2);
    for (int i = 0; i < m.length; i++) {
      double[] w = params.get(i).value();
      double[] g = params.get(i).grad();
      double[] mi = m[i];
      double[] vi = v[i];
      for (int j = 0; j < w.length; j++) {
        double gj = g[j];
        mi[j] = beta1 * mi[j] + (1 - beta1) * gj;
        vi[j] = beta2 * vi[j] + (1 - beta2) * gj * gj;
        w[j] -= stepSize * mi[j] / (Math.sqrt(vi[j]) * invSqrtC2 + eps);
      }
    }
  }
}
