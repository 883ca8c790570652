package ai.hiformer.model.nn;

import java.util.SplittableRandom;

/**
 * Per-token projections: each query token i is projected by Wq_i (d, H·dk) and each token j by Wk_j
 * and Wv_j; with {@code perToken} false one Wq, Wk, Wv is shared by all tokens (the vanilla
 * Transformer), with true each token has its own (heterogeneous attention).
 */
final class PerTokenProjection implements QkvProjection {
  private final int tokens;
  private final int queries;
  private final int d;
  private final int hk;
  private final int hv;
  private final boolean perToken;
  private final Dense wq;
  private final Dense wk;
  private final Dense wv;

  PerTokenProjection(
      ParamStore store,
      String name,
      boolean perToken,
      int tokens,
      int queries,
      int d,
      int hk,
      int hv) {
    this.tokens = tokens;
    this.queries = queries;
    this.d = d;
    this.hk = hk;
    this.hv = hv;
    this.perToken = perToken;
    wq = new Dense(store, name + ".Wq", perToken ? queries : 1, d, hk, false);
    wk = new Dense(store, name + ".Wk", perToken ? tokens : 1, d, hk, false);
    wv = new Dense(store, name + ".Wv", perToken ? tokens : 1, d, hv, false);
  }

  @Override
  public void init(SplittableRandom rng) {
    Dense.initXavier(rng, wq, wk, wv);
  }

  @Override
  public void forward(int n, double[] x, double[] q, double[] k, double[] v) {
    int td = tokens * d;
    int first = tokens - queries;
    for (int i = 0; i < queries; i++) {
      // rows x[:, first+i, :] (n, d) · Wq_i (d, H·dk) → q[:, i, :]
      wq.forward(perToken ? i : 0, n, x, (first + i) * d, td, q, i * hk, queries * hk);
    }
    for (int j = 0; j < tokens; j++) {
      wk.forward(perToken ? j : 0, n, x, j * d, td, k, j * hk, tokens * hk);
      wv.forward(perToken ? j : 0, n, x, j * d, td, v, j * hv, tokens * hv);
    }
  }

  @Override
  public void backward(int n, double[] x, double[] dq, double[] dk, double[] dv, double[] dx) {
    int td = tokens * d;
    int first = tokens - queries;
    for (int i = 0; i < queries; i++) {
      wq.backward(
          perToken ? i : 0,
          n,
          x,
          (first + i) * d,
          td,
          dq,
          i * hk,
          queries * hk,
          dx,
          (first + i) * d,
          td);
    }
    for (int j = 0; j < tokens; j++) {
      wk.backward(perToken ? j : 0, n, x, j * d, td, dk, j * hk, tokens * hk, dx, j * d, td);
      wv.backward(perToken ? j : 0, n, x, j * d, td, dv, j * hv, tokens * hv, dx, j * d, td);
    }
  }
}
