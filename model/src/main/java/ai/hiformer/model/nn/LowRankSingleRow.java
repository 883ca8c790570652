package ai.hiformer.model.nn;

import ai.hiformer.model.math.FloatRows;

/**
 * One example through the composite low-rank projection with float weights: float copies of [Uq |
 * Uk | Uv] (T·d, R) and V_q, V_k, V_v, rebuilt when the store's weights version moves. Writes q, k,
 * v and the double intermediates p_q, p_k, p_v, so that a backward pass can follow as after the
 * double path.
 */
final class LowRankSingleRow {
  private final ParamStore store;
  private final int td;
  private final LowRankWeights w;
  private long mirrorVersion = -1;
  private float[][] ucatH;
  private float[][] vqH;
  private float[][] vkH;
  private float[][] vvH;
  private float[] rowH; // (T·d) the example's tokens
  private float[] projH; // (R) E·[Uq | Uk | Uv]
  private float[] outH; // (max width)

  LowRankSingleRow(ParamStore store, int td, LowRankWeights w) {
    this.store = store;
    this.td = td;
    this.w = w;
  }

  void forward(
      double[] x, double[] pq, double[] pk, double[] pv, double[] q, double[] k, double[] v) {
    int rq = w.uq().out();
    int rk = w.uk().out();
    int rv = w.uv().out();
    int r = rq + rk + rv;
    if (ucatH == null) {
      ucatH = new float[td][r];
      vqH = new float[rq][w.vq().out()];
      vkH = new float[rk][w.vk().out()];
      vvH = new float[rv][w.vv().out()];
      rowH = new float[td];
      projH = new float[r];
      outH = new float[w.maxWidth()];
    }
    if (mirrorVersion != store.version()) {
      FloatRows.copy(w.uq().weight().value(), rq, ucatH, 0);
      FloatRows.copy(w.uk().weight().value(), rk, ucatH, rq);
      FloatRows.copy(w.uv().weight().value(), rv, ucatH, rq + rk);
      FloatRows.copy(w.vq().weight().value(), w.vq().out(), vqH, 0);
      FloatRows.copy(w.vk().weight().value(), w.vk().out(), vkH, 0);
      FloatRows.copy(w.vv().weight().value(), w.vv().out(), vvH, 0);
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
    project(0, rq, vqH, w.vq().out(), q);
    project(rq, rk, vkH, w.vk().out(), k);
    project(rq + rk, rv, vvH, w.vv().out(), v);
  }

  private void project(int off, int rank, float[][] weights, int w, double[] out) {
    FloatRows.times(projH, off, rank, weights, w, outH);
    for (int j = 0; j < w; j++) {
      out[j] = outH[j];
    }
  }
}
