package ai.hiformer.model.optim;

import ai.hiformer.model.nn.Param;
import java.util.List;

/**
 * Adam for the dense parameters, torch semantics with bias correction (docs/PROTOCOL.md §3.1):
 * {@code m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; θ -= lr · (m/(1-β1^t)) / (sqrt(v/(1-β2^t)) +
 * ε)}. Its moments are state of one training run and belong to this instance.
 */
public final class Adam {
  /**
   * Every this many steps, moments below {@link #NEGLIGIBLE} become exactly 0. A weight whose
   * gradient stops (a unit that no longer fires) has its first moment multiplied by β1 = 0.9 each
   * step: after about 6,700 steps it is a subnormal double, and the CPU computes with subnormal
   * operands through a slow path. Measured on this loop: 12 ns per weight with a third of them
   * decayed, against 1.4 with none.
   */
  static final int FLUSH_EVERY = 1024;

  /**
   * Far below anything that moves a weight (the step divides by at least ε = 1e-8) and far above
   * the subnormal range (below 2.2e-308): a moment flushed here could not have decayed to a
   * subnormal before the next flush (0.9^1024 ≈ 1e-47).
   */
  static final double NEGLIGIBLE = 1e-200;

  private final List<Param> params;
  private final double lr;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double[][] m;
  private final double[][] v;
  private final int[] offsets; // offsets[i]: index of parameter i's first element, laid end to end
  private long step;
  private double stepSize; // of the current step, set by beginStep
  private double invSqrtC2;

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
    offsets = new int[m.length + 1];
    for (int i = 0; i < m.length; i++) {
      m[i] = new double[this.params.get(i).size()];
      v[i] = new double[this.params.get(i).size()];
      offsets[i + 1] = Math.addExact(offsets[i], m[i].length);
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

  /** A fresh Adam with these settings over other parameters (zero moments, step 0). */
  public Adam sibling(List<Param> others) {
    return new Adam(others, lr, beta1, beta2, eps);
  }

  /**
   * Takes {@code other}'s moments and step count: both must be over parameters of the same sizes,
   * in the same order.
   */
  public void copyStateFrom(Adam other) {
    if (!java.util.Arrays.equals(offsets, other.offsets)) {
      throw new IllegalArgumentException("Adam state of other parameter sizes");
    }
    for (int i = 0; i < m.length; i++) {
      System.arraycopy(other.m[i], 0, m[i], 0, m[i].length);
      System.arraycopy(other.v[i], 0, v[i], 0, v[i].length);
    }
    step = other.step;
  }

  /** Applies one update from the accumulated gradients (which are left as they are). */
  public void apply() {
    beginStep();
    for (int i = 0; i < m.length; i++) {
      update(i, 0, m[i].length);
    }
  }

  /**
   * The first half of {@link #apply()} for an update applied in parts: counts the step. Then {@link
   * #applyRange} over ranges that cover {@code [0, size())} once, possibly on several threads at
   * once.
   */
  public void beginStep() {
    step++;
    double c1 = 1.0 - Math.pow(beta1, step);
    double c2 = 1.0 - Math.pow(beta2, step);
    stepSize = lr / c1;
    invSqrtC2 = 1.0 / Math.sqrt(c2);
  }

  /** Elements of all parameters, in order: the index space of {@link #applyRange}. */
  public int size() {
    return offsets[offsets.length - 1];
  }

  /**
   * Updates elements {@code [from, to)} of the parameters laid end to end in order (after {@link
   * #beginStep()}).
   */
  public void applyRange(int from, int to) {
    for (int i = 0; i < m.length && from < to; i++) {
      int lo = offsets[i];
      int hi = offsets[i + 1];
      if (from >= hi) {
        continue;
      }
      int end = Math.min(to, hi);
      update(i, from - lo, end - lo);
      from = end;
    }
  }

  private void update(int i, int from, int to) {
    double[] w = params.get(i).value();
    double[] g = params.get(i).grad();
    double[] mi = m[i];
    double[] vi = v[i];
    for (int j = from; j < to; j++) {
      double gj = g[j];
      mi[j] = beta1 * mi[j] + (1 - beta1) * gj;
      vi[j] = beta2 * vi[j] + (1 - beta2) * gj * gj;
      w[j] -= stepSize * mi[j] / (Math.sqrt(vi[j]) * invSqrtC2 + eps);
    }
    if (step % FLUSH_EVERY == 0) {
      // A pass of its own: a test in the loop above would keep it from being vectorised.
      for (int j = from; j < to; j++) {
        if (Math.abs(mi[j]) < NEGLIGIBLE) {
          mi[j] = 0;
        }
        if (vi[j] < NEGLIGIBLE) {
          vi[j] = 0;
        }
      }
    }
  }
}
