package ai.hiformer.model.nn;

import java.util.SplittableRandom;

/**
 * Hiformer's composite projection at full rank: concat(E) (n, T·d) times one (T·d, Tq·H·dk) matrix
 * gives every query token's queries at once; the same over all T tokens for keys and values.
 */
final class CompositeFullProjection implements QkvProjection {
  private final int td;
  private final Dense wq;
  private final Dense wk;
  private final Dense wv;

  CompositeFullProjection(
      ParamStore store, String name, int tokens, int queries, int d, int hk, int hv) {
    td = tokens * d;
    wq = new Dense(store, name + ".Wq", 1, td, queries * hk, false);
    wk = new Dense(store, name + ".Wk", 1, td, tokens * hk, false);
    wv = new Dense(store, name + ".Wv", 1, td, tokens * hv, false);
  }

  @Override
  public void init(SplittableRandom rng) {
    Dense.initXavier(rng, wq, wk, wv);
  }

  @Override
  public void forward(int n, double[] x, double[] q, double[] k, double[] v) {
    wq.forward(0, n, x, 0, td, q, 0, wq.out());
    wk.forward(0, n, x, 0, td, k, 0, wk.out());
    wv.forward(0, n, x, 0, td, v, 0, wv.out());
  }

  @Override
  public void backward(int n, double[] x, double[] dq, double[] dk, double[] dv, double[] dx) {
    wq.backward(0, n, x, 0, td, dq, 0, wq.out(), dx, 0, td);
    wk.backward(0, n, x, 0, td, dk, 0, wk.out(), dx, 0, td);
    wv.backward(0, n, x, 0, td, dv, 0, wv.out(), dx, 0, td);
  }
}
