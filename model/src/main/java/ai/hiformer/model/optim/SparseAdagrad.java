package ai.hiformer.model.optim;

import ai.hiformer.model.nn.EmbeddingTable;

/**
 * Sparse Adagrad for embedding rows (docs/PROTOCOL.md §3.1): for every row r touched in the step,
 * {@code G_r += g_r²; θ_r -= lr · g_r / (sqrt(G_r) + ε)}; untouched rows do not change. The
 * accumulators live in the table, beside the rows they belong to; both are float32, the update is
 * computed in double and rounded once on store.
 */
public final class SparseAdagrad {
  private final double lr;
  private final double eps;

  public SparseAdagrad(double lr, double eps) {
    if (!(lr > 0) || !(eps > 0)) {
      throw new IllegalArgumentException(
          String.format("invalid Adagrad settings lr=%s eps=%s", lr, eps));
    }
    this.lr = lr;
    this.eps = eps;
  }

  /** Updates the touched rows of {@code table} and clears its touched set. */
  public void apply(EmbeddingTable table) {
    int dim = table.dim();
    double[] g = table.grads();
    int[] rows = table.touchedRows();
    if (table.wide()) {
      applyWide(table);
      return;
    }
    for (int i = 0, n = table.touchedCount(); i < n; i++) {
      int id = rows[i];
      float[] w = table.valuePage(id);
      float[] acc = table.accumulatorPage(id);
      int o = table.offsetInPage(id);
      int go = i * dim;
      for (int j = 0; j < dim; j++) {
        double gj = g[go + j];
        double a = acc[o + j] + gj * gj;
        acc[o + j] = (float) a;
        w[o + j] = (float) (w[o + j] - lr * gj / (Math.sqrt(a) + eps));
      }
    }
    table.clearTouched();
  }

  /**
   * One row's update with the gradient at {@code g[from .. from + dim)}, computed as {@link #apply}
   * computes it: how learners that merge gradients step a row of their common state.
   */
  public void applyRow(EmbeddingTable table, int id, double[] g, int from) {
    int dim = table.dim();
    int o = table.offsetInPage(id);
    for (int j = 0; j < dim; j++) {
      double gj = g[from + j];
      if (table.wide()) {
        double[] acc = table.wideAccumulatorPage(id);
        acc[o + j] += gj * gj;
        table.wideValuePage(id)[o + j] -= lr * gj / (Math.sqrt(acc[o + j]) + eps);
      } else {
        float[] acc = table.accumulatorPage(id);
        float[] w = table.valuePage(id);
        double a2 = acc[o + j] + gj * gj;
        acc[o + j] = (float) a2;
        w[o + j] = (float) (w[o + j] - lr * gj / (Math.sqrt(a2) + eps));
      }
    }
  }

  /** The same update on double rows (exact-math mode). */
  private void applyWide(EmbeddingTable table) {
    int dim = table.dim();
    double[] g = table.grads();
    int[] rows = table.touchedRows();
    for (int i = 0, n = table.touchedCount(); i < n; i++) {
      int id = rows[i];
      double[] w = table.wideValuePage(id);
      double[] acc = table.wideAccumulatorPage(id);
      int o = table.offsetInPage(id);
      int go = i * dim;
      for (int j = 0; j < dim; j++) {
        double gj = g[go + j];
        acc[o + j] += gj * gj;
        w[o + j] -= lr * gj / (Math.sqrt(acc[o + j]) + eps);
      }
    }
    table.clearTouched();
  }
}
