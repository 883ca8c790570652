package ai.hiformer.model.nn;

import ai.hiformer.model.math.FloatRows;

/**
 * One example through the composite low-rank projection with float weights: float copies of [Uq | Uk | Uv]
 * (T·d, R) and V_q, V_k, V_v, rebuilt when the store's weights version moves. Writes q, k, v and the double
 * intermediates p_q, p_k, p_v, so that a backward pass can follow as after the double path.
 */
final class LowRankSingleRow {
  private final ParamStore store;
  private final int td;
  private final Dense uq;
  private final Dense vq;
  private final Dense uk;
  private final Dense vk;
  private final Dense uv;
  private final Dense vv;
  private long mirrorVersion = -1;
  private float[][] ucatH;
  private float[][] vqH;
  private float[][] vkH;
  private float[][] vvH;
  private float[] rowH;   // (T·d) the example's tokens
  private float[] projH;  // (R) E·[Uq | Uk | Uv]
  private float[] outH;   // (max width)

  LowRankSingleRow(ParamStore store, int td, Dense uq, Dense vq, Dense uk, Dense vk, Dense uv, Dense vv) {
    this.store = store;
    this.td = td;
    this.uq = uq;
    this.vq = vq;
    this.uk = uk;
    this.vk = vk;
    this.uv = uv;
    this.vv = vv;
  }

  void forward(double[] x, double[] pq, double[] pk, double[] pv, double[] q, double[] k, double[] v) {
    int rq = uq.out();
    int rk = uk.out();
    int rv = uv.out();
    int r = rq + rk + rv;
    if (ucatH == null) {
      ucatH = new float[td][r];
      vqH = new float[rq][vq.out()];
      vkH = new float[rk][vk.out()];
      vvH = new float[rv][vv.out()];
      rowH = new float[td];
      projH = new float[r];
      outH = new float[Math.max(vq.out(), Math.max(vk.out(), vv.out()))];
    }
    if (mirrorVersion != store.version()) {
      FloatRows.copy(uq.weight().value(), rq, ucatH, 0);
      FloatRows.copy(uk.weight().value(), rk, ucatH, rq);
      FloatRows.copy(uv.weight().value(), rv, ucatH, rq + rk);
      FloatRows.copy(vq.weight().value(), vq.out(), vqH, 0);
      FloatRows.copy(vk.weight().value(), vk.out(), vkH, 0);
      FloatRows.copy(vv.weight().value(), vv.out(), vvH, 0);
      mirrorVersion = store.version();
    }
    for (int i = 0; i < td; i++) {
      rowH[i] = (float) x[i];
    }
    FloatRows.times(rowH, 0, td, ucatH, r, projH);
    for (int j = 0; j < r; j++) {
      double p = projH[j];
      if (j < rq) {
        pq[j] = p;
      } else if (j < rq + rk) {
        pk[j - rq] = p;
      } else {
        pv[j - rq - rk] = p;
      }
    }
    project(0, rq, vqH, vq.out(), q);
    project(rq, rk, vkH, vk.out(), k);
    project(rq + rk, rv, vvH, vv.out(), v);
  }

  private void project(int off, int rank, float[][] weights, int w, double[] out) {
    FloatRows.times(projH, off, rank, weights, w, outH);
    for (int j = 0; j < w; j++) {
      out[j] = outH[j];
    }
  }
}
