package ai.hiformer.model.nn;

import ai.hiformer.model.math.Blas;
import ai.hiformer.model.math.FloatGemm;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Hiformer's composite low-rank projection: {@code q = (concat(E)·Uq)·Vq} with Uq (T·d, r_q) and Vq (r_q,
 * Tq·H·dk); the same over all T tokens for keys (r_k) and values (r_v). Three ways to compute it, chosen per
 * call by the batch and the process's arithmetic ({@link Blas#floatProducts()}): the float matrix chain for
 * batches ({@link LowRankFloatChain}), a float row kernel for one example ({@link LowRankSingleRow}), and double
 * products otherwise (the reference arithmetic the golden tests pin).
 */
final class LowRankProjection implements QkvProjection {
  private final int td;
  private final Dense uq;
  private final Dense vq;
  private final Dense uk;
  private final Dense vk;
  private final Dense uv;
  private final Dense vv;
  private final LowRankFloatChain floatChain;
  private final LowRankSingleRow singleRow;
  private boolean lastForwardFloat;
  private double[] pq; // (n, r_q) low-rank intermediates of the last double (or single-row) forward
  private double[] pk; // (n, r_k)
  private double[] pv; // (n, r_v)
  private double[] dp; // (n, max r)

  LowRankProjection(ParamStore store, String name, int tokens, int queries, int d, int hk, int hv, int rankQ,
      int rankK, int rankV) {
    td = tokens * d;
    uq = new Dense(store, name + ".Uq", 1, td, rankQ, false);
    vq = new Dense(store, name + ".Vq", 1, rankQ, queries * hk, false);
    uk = new Dense(store, name + ".Uk", 1, td, rankK, false);
    vk = new Dense(store, name + ".Vk", 1, rankK, tokens * hk, false);
    uv = new Dense(store, name + ".Uv", 1, td, rankV, false);
    vv = new Dense(store, name + ".Vv", 1, rankV, tokens * hv, false);
    floatChain = new LowRankFloatChain(store, td, uq, vq, uk, vk, uv, vv);
    singleRow = new LowRankSingleRow(store, td, uq, vq, uk, vk, uv, vv);
  }

  @Override
  public void init(SplittableRandom rng) {
    for (Dense m : new Dense[] {uq, vq, uk, vk, uv, vv}) {
      m.initXavier(rng);
    }
  }

  @Override
  public void forward(int n, double[] x, double[] q, double[] k, double[] v) {
    lastForwardFloat = FloatGemm.enabled(n);
    if (lastForwardFloat) {
      floatChain.forward(n, x, q, k, v);
      return;
    }
    pq = Buffers.ensure(pq, n * uq.out());
    pk = Buffers.ensure(pk, n * uk.out());
    pv = Buffers.ensure(pv, n * uv.out());
    if (n == 1 && Blas.floatProducts()) {
      singleRow.forward(x, pq, pk, pv, q, k, v);
      return;
    }
    // (n, T·d) · (T·d, r) → (n, r) · (r, T·H·dk) → (n, T, H, dk)
    uq.forward(0, n, x, 0, td, pq, 0, uq.out());
    vq.forward(0, n, pq, 0, uq.out(), q, 0, vq.out());
    uk.forward(0, n, x, 0, td, pk, 0, uk.out());
    vk.forward(0, n, pk, 0, uk.out(), k, 0, vk.out());
    uv.forward(0, n, x, 0, td, pv, 0, uv.out());
    vv.forward(0, n, pv, 0, uv.out(), v, 0, vv.out());
  }

  @Override
  public void backward(int n, double[] x, double[] dq, double[] dk, double[] dv, double[] dx) {
    if (lastForwardFloat) {
      floatChain.backward(n, dq, dk, dv, dx);
      return;
    }
    dp = Buffers.ensure(dp, n * Math.max(uq.out(), Math.max(uk.out(), uv.out())));
    backward(n, x, uq, vq, pq, dq, dx);
    backward(n, x, uk, vk, pk, dk, dx);
    backward(n, x, uv, vv, pv, dv, dx);
  }

  /** Through {@code out = (x·U)·V}: dV += pᵀ·dOut, dp = dOut·Vᵀ, dU += xᵀ·dp, dx += dp·Uᵀ. */
  private void backward(int n, double[] x, Dense u, Dense vMat, double[] p, double[] dOut, double[] dx) {
    int r = u.out();
    Arrays.fill(dp, 0, n * r, 0.0);
    vMat.backward(0, n, p, 0, r, dOut, 0, vMat.out(), dp, 0, r);
    u.backward(0, n, x, 0, td, dp, 0, r, dx, 0, td);
  }
}
