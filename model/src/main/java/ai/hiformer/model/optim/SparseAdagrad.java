package ai.hiformer.model.optim;

import ai.hiformer.model.nn.EmbeddingTable;

/**
 * Sparse Adagrad for embedding rows (docs/PROTOCOL.md §3.1): for every row r touched in the step,
 * {@code G_r += g_r²; θ_r -= lr · g_r / (sqrt(G_r) + ε)}; untouched rows do not change. The
 * accumulators live in the table, beside the rows they belong to.
 */
public final class SparseAdagrad {
  private final double lr;
  private final double eps;

  public SparseAdagrad(double lr, double eps) {
    if (!(lr > 0) || !(eps > 0)) {
      throw new IllegalArgumentException(String.format("invalid Adagrad settings lr=%s eps=%s", lr, eps));
    }
    this.lr = lr;
    this.eps = eps;
  }

  /** Updates the touched rows of {@code table} and clears its touched set. */
  public void apply(EmbeddingTable table) {
    int dim = table.dim();
    double[] w = table.values();
    double[] acc = table.accumulators();
    double[] g = table.grads();
    int[] rows = table.touchedRows();
    for (int i = 0, n = table.touchedCount(); i < n; i++) {
      int o = rows[i] * dim;
      for (int j = 0; j < dim; j++) {
        double gj = g[o + j];
        acc[o + j] += gj * gj;
        w[o + j] -= lr * gj / (Math.sqrt(acc[o + j]) + eps);
      }
    }
    table.clearTouched();
  }
}
