package ai.hiformer.model.nn;

import ai.hiformer.model.math.FloatGemm;
import ai.hiformer.model.math.Precision;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Hiformer's composite low-rank projection: {@code q = (concat(E)·Uq)·Vq} with Uq (T·d, r_q) and Vq
 * (r_q, Tq·H·dk); the same over all T tokens for keys (r_k) and values (r_v). Three ways to compute
 * it, chosen per call by the batch and the model's {@link Precision}: under float, the matrix chain
 * for batches ({@link LowRankFloatChain}), a float row kernel for one example ({@link
 * LowRankSingleRow}), and double products otherwise (the reference arithmetic the golden tests
 * pin).
 */
final class LowRankProjection implements QkvProjection {
  private final int td;
  private final LowRankWeights w;
  private final Precision precision;
  private final LowRankFloatChain floatChain;
  private final LowRankSingleRow singleRow;
  private boolean lastForwardFloat;
  private double[] pq; // (n, r_q) low-rank intermediates of the last double (or single-row) forward
  private double[] pk; // (n, r_k)
  private double[] pv; // (n, r_v)
  private double[] dp; // (n, max r)

  LowRankProjection(
      ParamStore store,
      String name,
      int tokens,
      int queries,
      int d,
      int hk,
      int hv,
      int rankQ,
      int rankK,
      int rankV) {
    td = tokens * d;
    precision = store.precision();
    // In this order: the parameter store's layout depends on it.
    Dense uq = new Dense(store, name + ".Uq", 1, td, rankQ, false);
    Dense vq = new Dense(store, name + ".Vq", 1, rankQ, queries * hk, false);
    Dense uk = new Dense(store, name + ".Uk", 1, td, rankK, false);
    Dense vk = new Dense(store, name + ".Vk", 1, rankK, tokens * hk, false);
    Dense uv = new Dense(store, name + ".Uv", 1, td, rankV, false);
    Dense vv = new Dense(store, name + ".Vv", 1, rankV, tokens * hv, false);
    w = new LowRankWeights(uq, vq, uk, vk, uv, vv);
    floatChain = new LowRankFloatChain(store, td, w);
    singleRow = new LowRankSingleRow(store, td, w);
  }

  @Override
  public void init(SplittableRandom rng) {
    Dense.initXavier(rng, w.uq(), w.vq(), w.uk(), w.vk(), w.uv(), w.vv());
  }

  @Override
  public void forward(int n, double[] x, double[] q, double[] k, double[] v) {
    lastForwardFloat = FloatGemm.enabled(precision, n);
    if (lastForwardFloat) {
      floatChain.forward(n, x, q, k, v);
      return;
    }
    pq = Buffers.ensure(pq, n * w.uq().out());
    pk = Buffers.ensure(pk, n * w.uk().out());
    pv = Buffers.ensure(pv, n * w.uv().out());
    if (n == 1 && precision.floatProducts()) {
      singleRow.forward(x, pq, pk, pv, q, k, v);
      return;
    }
    // (n, T·d) · (T·d, r) → (n, r) · (r, T·H·dk) → (n, T, H, dk)
    forward(n, x, w.uq(), w.vq(), pq, q);
    forward(n, x, w.uk(), w.vk(), pk, k);
    forward(n, x, w.uv(), w.vv(), pv, v);
  }

  /** out = (x·U)·V, keeping p = x·U for the backward pass. */
  private void forward(int n, double[] x, Dense u, Dense vMat, double[] p, double[] out) {
    u.forward(0, n, x, 0, td, p, 0, u.out());
    vMat.forward(0, n, p, 0, u.out(), out, 0, vMat.out());
  }

  @Override
  public void backward(int n, double[] x, double[] dq, double[] dk, double[] dv, double[] dx) {
    if (lastForwardFloat) {
      floatChain.backward(n, dq, dk, dv, dx);
      return;
    }
    dp = Buffers.ensure(dp, n * Math.max(w.uq().out(), Math.max(w.uk().out(), w.uv().out())));
    backward(n, x, w.uq(), w.vq(), pq, dq, dx);
    backward(n, x, w.uk(), w.vk(), pk, dk, dx);
    backward(n, x, w.uv(), w.vv(), pv, dv, dx);
  }

  /** Through {@code out = (x·U)·V}: dV += pᵀ·dOut, dp = dOut·Vᵀ, dU += xᵀ·dp, dx += dp·Uᵀ. */
  private void backward(
      int n, double[] x, Dense u, Dense vMat, double[] p, double[] dOut, double[] dx) {
    int r = u.out();
    Arrays.fill(dp, 0, n * r, 0.0);
    vMat.backward(0, n, p, 0, r, dOut, 0, vMat.out(), dp, 0, r);
    u.backward(0, n, x, 0, td, dp, 0, r, dx, 0, td);
  }
}
