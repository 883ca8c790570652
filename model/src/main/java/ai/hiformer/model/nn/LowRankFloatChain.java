package ai.hiformer.model.nn;

import ai.hiformer.model.math.FloatGemm;

/**
 * The composite low-rank projection of a batch as one float chain on native sgemm: P = E·[Uq | Uk |
 * Uv] in one product, then P_j·V_j, and the backward pass the same way. Weights are packed to float
 * once per weights version (scoring many batches with fixed weights packs them once; training
 * repacks every step).
 */
final class LowRankFloatChain {
  private final ParamStore store;
  private final int td;
  private final LowRankWeights lr;
  private final FloatGemm.Matrix ef = new FloatGemm.Matrix(); // (n, T·d)
  private final FloatGemm.Matrix ucat = new FloatGemm.Matrix(); // (T·d, R), R = rq + rk + rv
  private final FloatGemm.Matrix pcat = new FloatGemm.Matrix(); // (n, R) = E · [Uq | Uk | Uv]
  private final FloatGemm.Matrix dpcat = new FloatGemm.Matrix(); // (n, R)
  private final FloatGemm.Matrix vqf = new FloatGemm.Matrix();
  private final FloatGemm.Matrix vkf = new FloatGemm.Matrix();
  private final FloatGemm.Matrix vvf = new FloatGemm.Matrix();
  private final FloatGemm.Matrix outf = new FloatGemm.Matrix(); // product scratch
  private final FloatGemm.Matrix doutf = new FloatGemm.Matrix(); // (n, width) upstream gradient
  private long packedVersion = -1; // weights version of ucat / v*f

  LowRankFloatChain(ParamStore store, int td, LowRankWeights w) {
    this.store = store;
    this.td = td;
    this.lr = w;
  }

  /** q, k, v (n, width) of x (n, T·d). */
  void forward(int n, double[] x, double[] q, double[] k, double[] v) {
    int rq = lr.uq().out();
    int rk = lr.uk().out();
    int rv = lr.uv().out();
    int r = lr.ranks();
    FloatGemm.toFloat(x, 0, td, n, td, ef.ensure(n * td), 0, td);
    if (packedVersion != store.version()) {
      FloatGemm.toFloat(lr.uq().weight().value(), 0, rq, td, rq, ucat.ensure(td * r), 0, r);
      FloatGemm.toFloat(lr.uk().weight().value(), 0, rk, td, rk, ucat, rq, r);
      FloatGemm.toFloat(lr.uv().weight().value(), 0, rv, td, rv, ucat, rq + rk, r);
      pack(lr.vq(), rq, vqf);
      pack(lr.vk(), rk, vkf);
      pack(lr.vv(), rv, vvf);
      packedVersion = store.version();
    }
    FloatGemm.gemm(false, false, n, r, td, ef, 0, td, ucat, 0, r, pcat.ensure(n * r), 0, r);
    project(n, 0, rq, lr.vq(), vqf, q);
    project(n, rq, rk, lr.vk(), vkf, k);
    project(n, rq + rk, rv, lr.vv(), vvf, v);
  }

  /** out (n, w) = P[:, off, off + rank) · V (rank, w). */
  private void project(int n, int off, int rank, Dense vMat, FloatGemm.Matrix vf, double[] out) {
    int w = vMat.out();
    FloatGemm.gemm(
        false, false, n, w, rank, pcat, off, lr.ranks(), vf, 0, w, outf.ensure(n * w), 0, w);
    FloatGemm.toDouble(outf, 0, w, n, w, out, 0, w, false);
  }

  private static void pack(Dense vMat, int rank, FloatGemm.Matrix vf) {
    int w = vMat.out();
    FloatGemm.toFloat(vMat.weight().value(), 0, w, rank, w, vf.ensure(rank * w), 0, w);
  }

  /** Backward of {@link #forward}: gradients of V_j and [Uq | Uk | Uv], and dx += dP·[U]ᵀ. */
  void backward(int n, double[] dq, double[] dk, double[] dv, double[] dx) {
    int rq = lr.uq().out();
    int rk = lr.uk().out();
    int rv = lr.uv().out();
    int r = lr.ranks();
    dpcat.ensure(n * r);
    backProject(n, 0, rq, lr.vq(), vqf, dq);
    backProject(n, rq, rk, lr.vk(), vkf, dk);
    backProject(n, rq + rk, rv, lr.vv(), vvf, dv);
    // d[Uq | Uk | Uv] (T·d, R) += Eᵀ · dP
    FloatGemm.gemm(true, false, td, r, n, ef, 0, td, dpcat, 0, r, outf.ensure(td * r), 0, r);
    FloatGemm.toDouble(outf, 0, r, td, rq, lr.uq().weight().grad(), 0, rq, true);
    FloatGemm.toDouble(outf, rq, r, td, rk, lr.uk().weight().grad(), 0, rk, true);
    FloatGemm.toDouble(outf, rq + rk, r, td, rv, lr.uv().weight().grad(), 0, rv, true);
    // dx (n, T·d) += dP · [Uq | Uk | Uv]ᵀ
    FloatGemm.gemm(false, true, n, td, r, dpcat, 0, r, ucat, 0, r, outf.ensure(n * td), 0, td);
    FloatGemm.toDouble(outf, 0, td, n, td, dx, 0, td, true);
  }

  /** dV += P[:, off..]ᵀ · dOut and dP[:, off, off + rank) = dOut · Vᵀ. */
  private void backProject(
      int n, int off, int rank, Dense vMat, FloatGemm.Matrix vf, double[] dOut) {
    int w = vMat.out();
    int r = lr.ranks();
    FloatGemm.toFloat(dOut, 0, w, n, w, doutf.ensure(n * w), 0, w);
    FloatGemm.gemm(true, false, rank, w, n, pcat, off, r, doutf, 0, w, outf.ensure(rank * w), 0, w);
    FloatGemm.toDouble(outf, 0, w, rank, w, vMat.weight().grad(), 0, w, true);
    FloatGemm.gemm(false, true, n, rank, w, doutf, 0, w, vf, 0, w, dpcat, off, r);
  }
}
