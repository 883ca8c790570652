package ai.hiformer.model.nn;

import ai.hiformer.model.math.Activation;
import ai.hiformer.model.math.Blas;
import ai.hiformer.model.math.FloatGemm;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One post-LayerNorm attention layer over T tokens, of the three kinds the paper compares
 * (Gui et al. 2023, §3–§5; docs/PROTOCOL.md §2.2). Shape letters: B batch, T tokens, Tq query tokens
 * (the last Tq of the T; Tq = T unpruned, Tq = t task tokens when pruned), d width, H heads,
 * dk / dv head sizes, r ranks, F FFN width.
 *
 * <ul>
 *   <li>{@link Projection#SHARED}: vanilla Transformer, Q/K/V/O and FFN shared by all tokens.</li>
 *   <li>{@link Projection#TOKEN}: heterogeneous attention, token-specific Q_i, K_j, V_j, O_i, FFN_i.</li>
 *   <li>{@link Projection#COMPOSITE_LOW_RANK} / {@link Projection#COMPOSITE_FULL}: Hiformer; concat(E)
 *   (B, T·d) is projected to every token's query/key/value at once, {@code W ≈ U V} with
 *   U (T·d, r), V (r, T·H·dk), or a full (T·d, T·H·dk) matrix; O_i and FFN_i token-specific.</li>
 * </ul>
 *
 * <p>Then per query token i: {@code o_i = concat_h(softmax_j(q_i^h·k_j^h/√dk) v_j^h) Wo_i + bo_i},
 * {@code h_i = LN1(x_i + o_i)}, {@code y_i = LN2(h_i + W2_i act(W1_i h_i + b1_i) + b2_i)}; the two
 * LayerNorms are shared by all tokens. Output y is (B, Tq, d). Pruning the last layer to the task
 * tokens is exact: keys and values still cover all T tokens.
 */
public final class AttentionLayer {
  /** How queries, keys and values are projected from the tokens. */
  public enum Projection { SHARED, TOKEN, COMPOSITE_LOW_RANK, COMPOSITE_FULL }

  private final Projection projection;
  private final int tokens;      // T
  private final int queries;     // Tq
  private final int d;
  private final int heads;       // H
  private final int dk;
  private final int dv;
  private final int ffn;         // F
  private final Activation activation;

  // Projections: for SHARED/TOKEN, wq/wk/wv are Dense stacks; for COMPOSITE, u*/v* or w* matrices.
  private final Dense wq;
  private final Dense wk;
  private final Dense wv;
  private final Dense uq;
  private final Dense vq;
  private final Dense uk;
  private final Dense vk;
  private final Dense uv;
  private final Dense vv;
  // Tail
  private final Dense wo;
  private final Dense w1;
  private final Dense w2;
  private final LayerNorm ln1;
  private final LayerNorm ln2;
  private final boolean tokenSpecificTail;

  // Activations of the last forward, sized for the largest batch seen.
  private double[] q;      // (B, Tq, H·dk)
  private double[] k;      // (B, T, H·dk)
  private double[] v;      // (B, T, H·dv)
  private double[] pq;     // (B, rq) low-rank intermediates
  private double[] pk;     // (B, rk)
  private double[] pv;     // (B, rv)
  private double[] ctx;    // (B, Tq, H·dv) attention output before Wo
  private double[] h1;     // (B, Tq, d) LN1 output
  private double[] f1pre;  // (B, Tq, F)
  private double[] f1;     // (B, Tq, F)
  private double[] r2;     // (B, Tq, d) residual sums, then LN inputs
  // Gradient scratch
  private double[] dq;
  private double[] dk_;
  private double[] dv_;
  private double[] dp;
  private double[] dctx;
  private double[] dh1;
  private double[] df1;
  private double[] dr;
  private final DotProductAttention attention;
  // Float chain of the composite low-rank projections (batches of ≥ 8 with native sgemm, FloatGemm):
  // E and [Uq | Uk | Uv] are rounded to float once per step and the rank-r intermediates stay float.
  private final FloatGemm.Matrix ef = new FloatGemm.Matrix();    // (n, T·d)
  private final FloatGemm.Matrix ucat = new FloatGemm.Matrix();  // (T·d, R), R = rq + rk + rv
  private final FloatGemm.Matrix pcat = new FloatGemm.Matrix();  // (n, R) = E · [Uq | Uk | Uv]
  private final FloatGemm.Matrix dpcat = new FloatGemm.Matrix(); // (n, R)
  private final FloatGemm.Matrix vqf = new FloatGemm.Matrix();
  private final FloatGemm.Matrix vkf = new FloatGemm.Matrix();
  private final FloatGemm.Matrix vvf = new FloatGemm.Matrix();
  private final FloatGemm.Matrix outf = new FloatGemm.Matrix();  // product scratch
  private final FloatGemm.Matrix doutf = new FloatGemm.Matrix(); // (n, width) upstream gradient
  private boolean lastForwardFloat;
  private long packedVersion = -1; // weights version of ucat / v*f: repacked only when the weights change
  // Single-example scoring: float copies of [Uq | Uk | Uv] (T·d, R) and V_q, V_k, V_v on the heap, rebuilt
  // when the store's weights version moves. Half the bytes of the double weights, which is what a
  // one-row product is bound by.
  private final ParamStore store;
  private Dense[] projectionsU;
  private long mirrorVersion = -1;
  // Stored as one array per row: C2 (JDK 17) vectorises out[j] += a·row[j] over separate row arrays, but not
  // over offsets into one flat array, where it cannot rule out overlap with out (8× measured).
  private float[][] ucatH;
  private float[][] vqH;
  private float[][] vkH;
  private float[][] vvH;
  private float[] rowH;   // (T·d) the example's tokens
  private float[] projH;  // (R) E·[Uq | Uk | Uv]
  private float[] outH;   // (max width)

  /**
   * @param queries Tq: the last Tq tokens act as queries (T for an unpruned layer, t when pruned)
   * @param ranks r_q, r_k, r_v for {@link Projection#COMPOSITE_LOW_RANK} (ignored otherwise)
   */
  public AttentionLayer(ParamStore store, String name, Projection projection, int tokens, int queries, int d,
      int heads, int dk, int dv, int ffn, Activation activation, int rankQ, int rankK, int rankV) {
    if (queries <= 0 || queries > tokens) {
      throw new IllegalArgumentException("queries must be in [1, tokens], got " + queries + " of " + tokens);
    }
    this.store = store;
    this.projection = projection;
    this.tokens = tokens;
    this.queries = queries;
    this.d = d;
    this.heads = heads;
    this.dk = dk;
    this.dv = dv;
    this.ffn = ffn;
    this.activation = activation;
    this.attention = new DotProductAttention(tokens, queries, heads, dk, dv);
    int hk = heads * dk;
    int hv = heads * dv;
    int td = tokens * d;
    switch (projection) {
      case SHARED -> {
        wq = new Dense(store, name + ".Wq", 1, d, hk, false);
        wk = new Dense(store, name + ".Wk", 1, d, hk, false);
        wv = new Dense(store, name + ".Wv", 1, d, hv, false);
        uq = vq = uk = vk = uv = vv = null;
      }
      case TOKEN -> {
        wq = new Dense(store, name + ".Wq", queries, d, hk, false);
        wk = new Dense(store, name + ".Wk", tokens, d, hk, false);
        wv = new Dense(store, name + ".Wv", tokens, d, hv, false);
        uq = vq = uk = vk = uv = vv = null;
      }
      case COMPOSITE_FULL -> {
        wq = new Dense(store, name + ".Wq", 1, td, queries * hk, false);
        wk = new Dense(store, name + ".Wk", 1, td, tokens * hk, false);
        wv = new Dense(store, name + ".Wv", 1, td, tokens * hv, false);
        uq = vq = uk = vk = uv = vv = null;
      }
      case COMPOSITE_LOW_RANK -> {
        wq = wk = wv = null;
        uq = new Dense(store, name + ".Uq", 1, td, rankQ, false);
        vq = new Dense(store, name + ".Vq", 1, rankQ, queries * hk, false);
        uk = new Dense(store, name + ".Uk", 1, td, rankK, false);
        vk = new Dense(store, name + ".Vk", 1, rankK, tokens * hk, false);
        uv = new Dense(store, name + ".Uv", 1, td, rankV, false);
        vv = new Dense(store, name + ".Vv", 1, rankV, tokens * hv, false);
        projectionsU = new Dense[] {uq, uk, uv};
      }
      default -> throw new IllegalArgumentException("unknown projection " + projection);
    }
    tokenSpecificTail = projection != Projection.SHARED;
    int tails = tokenSpecificTail ? queries : 1;
    wo = new Dense(store, name + ".Wo", tails, hv, d, true);
    ln1 = new LayerNorm(store, name + ".ln1", d);
    w1 = new Dense(store, name + ".W1", tails, d, ffn, true);
    w2 = new Dense(store, name + ".W2", tails, ffn, d, true);
    ln2 = new LayerNorm(store, name + ".ln2", d);
  }

  public int queries() {
    return queries;
  }

  /** Xavier-uniform for every matrix (per slice), zero biases, LayerNorm γ=1 β=0 (docs/PROTOCOL.md §2.1). */
  public void init(SplittableRandom rng) {
    for (Dense m : new Dense[] {wq, wk, wv, uq, vq, uk, vk, uv, vv, wo, w1, w2}) {
      if (m != null) {
        m.initXavier(rng);
      }
    }
  }

  private void ensureCapacity(int n) {
    int hk = heads * dk;
    int hv = heads * dv;
    q = Buffers.ensure(q, n * queries * hk);
    k = Buffers.ensure(k, n * tokens * hk);
    v = Buffers.ensure(v, n * tokens * hv);
    if (projection == Projection.COMPOSITE_LOW_RANK) {
      pq = Buffers.ensure(pq, n * uq.out());
      pk = Buffers.ensure(pk, n * uk.out());
      pv = Buffers.ensure(pv, n * uv.out());
      dp = Buffers.ensure(dp, n * Math.max(uq.out(), Math.max(uk.out(), uv.out())));
    }
    ctx = Buffers.ensure(ctx, n * queries * hv);
    h1 = Buffers.ensure(h1, n * queries * d);
    f1pre = Buffers.ensure(f1pre, n * queries * ffn);
    f1 = Buffers.ensure(f1, n * queries * ffn);
    r2 = Buffers.ensure(r2, n * queries * d);
    dq = Buffers.ensure(dq, n * queries * hk);
    dk_ = Buffers.ensure(dk_, n * tokens * hk);
    dv_ = Buffers.ensure(dv_, n * tokens * hv);
    dctx = Buffers.ensure(dctx, n * queries * hv);
    dh1 = Buffers.ensure(dh1, n * queries * d);
    df1 = Buffers.ensure(df1, n * queries * ffn);
    dr = Buffers.ensure(dr, n * queries * d);
  }

  /** x (n, T, d) → y (n, Tq, d). x is not modified and must stay unchanged until {@link #backward}. */
  public void forward(int n, double[] x, double[] y) {
    ensureCapacity(n);
    int hk = heads * dk;
    int hv = heads * dv;
    int td = tokens * d;
    int first = tokens - queries; // absolute index of query 0
    switch (projection) {
      case SHARED, TOKEN -> {
        boolean perToken = projection == Projection.TOKEN;
        for (int i = 0; i < queries; i++) {
          // rows x[:, first+i, :] (n, d) · Wq_i (d, H·dk) → q[:, i, :]
          wq.forward(perToken ? i : 0, n, x, (first + i) * d, td, q, i * hk, queries * hk);
        }
        for (int j = 0; j < tokens; j++) {
          wk.forward(perToken ? j : 0, n, x, j * d, td, k, j * hk, tokens * hk);
          wv.forward(perToken ? j : 0, n, x, j * d, td, v, j * hv, tokens * hv);
        }
      }
      case COMPOSITE_FULL -> {
        // (n, T·d) · (T·d, Tq·H·dk) → (n, Tq, H, dk); same for K and V over all T tokens
        wq.forward(0, n, x, 0, td, q, 0, queries * hk);
        wk.forward(0, n, x, 0, td, k, 0, tokens * hk);
        wv.forward(0, n, x, 0, td, v, 0, tokens * hv);
      }
      case COMPOSITE_LOW_RANK -> {
        lastForwardFloat = FloatGemm.enabled(n);
        if (lastForwardFloat) {
          lowRankForwardFloat(n, x);
          break;
        }
        if (n == 1 && Blas.floatProducts()) {
          lowRankForwardOneFloat(x);
          break;
        }
        // (n, T·d) · (T·d, r) → (n, r) · (r, T·H·dk) → (n, T, H, dk)
        uq.forward(0, n, x, 0, td, pq, 0, uq.out());
        vq.forward(0, n, pq, 0, uq.out(), q, 0, queries * hk);
        uk.forward(0, n, x, 0, td, pk, 0, uk.out());
        vk.forward(0, n, pk, 0, uk.out(), k, 0, tokens * hk);
        uv.forward(0, n, x, 0, td, pv, 0, uv.out());
        vv.forward(0, n, pv, 0, uv.out(), v, 0, tokens * hv);
      }
      default -> throw new IllegalStateException();
    }
    attention.forward(n, q, k, v, ctx);
    // o_i = ctx_i · Wo_i + bo_i → r2 (n, Tq, d), then residual with the query token's input.
    int tails = tokenSpecificTail ? queries : 1;
    for (int i = 0; i < queries; i++) {
      wo.forward(tails == 1 ? 0 : i, n, ctx, i * hv, queries * hv, r2, i * d, queries * d);
    }
    for (int b = 0; b < n; b++) {
      int xo = b * td + first * d;
      int ro = b * queries * d;
      for (int c = 0; c < queries * d; c++) {
        r2[ro + c] += x[xo + c];
      }
    }
    ln1.forward(n * queries, r2, h1);
    // FFN_i: (n, d) → (n, F) → act → (n, d); residual; LN2
    for (int i = 0; i < queries; i++) {
      int s = tails == 1 ? 0 : i;
      w1.forward(s, n, h1, i * d, queries * d, f1pre, i * ffn, queries * ffn);
    }
    activation.forward(f1pre, 0, f1, 0, n * queries * ffn);
    for (int i = 0; i < queries; i++) {
      int s = tails == 1 ? 0 : i;
      w2.forward(s, n, f1, i * ffn, queries * ffn, r2, i * d, queries * d);
    }
    for (int c = 0; c < n * queries * d; c++) {
      r2[c] += h1[c];
    }
    ln2.forward(n * queries, r2, y);
  }

  /**
   * Backward of the last forward: dy (n, Tq, d) → dx (n, T, d), which is overwritten. Accumulates
   * every parameter gradient. dy is not modified.
   */
  public void backward(int n, double[] x, double[] dy, double[] dx) {
    int hk = heads * dk;
    int hv = heads * dv;
    int td = tokens * d;
    int first = tokens - queries;
    int tails = tokenSpecificTail ? queries : 1;
    int rows = n * queries;
    Arrays.fill(dx, 0, n * td, 0.0);
    // LN2: dy → dr (gradient of r2 = h1 + ffn(h1))
    ln2.backward(rows, dy, dr);
    System.arraycopy(dr, 0, dh1, 0, rows * d);
    // FFN backward: dr → df1 → df1pre → dh1 (accumulate)
    Arrays.fill(df1, 0, rows * ffn, 0.0);
    for (int i = 0; i < queries; i++) {
      int s = tails == 1 ? 0 : i;
      w2.backward(s, n, f1, i * ffn, queries * ffn, dr, i * d, queries * d, df1, i * ffn, queries * ffn);
    }
    activation.backwardInPlace(f1pre, 0, df1, 0, rows * ffn);
    for (int i = 0; i < queries; i++) {
      int s = tails == 1 ? 0 : i;
      w1.backward(s, n, h1, i * d, queries * d, df1, i * ffn, queries * ffn, dh1, i * d, queries * d);
    }
    // LN1: dh1 → dr (gradient of r1 = x_q + o)
    ln1.backward(rows, dh1, dr);
    for (int b = 0; b < n; b++) {
      int xo = b * td + first * d;
      int ro = b * queries * d;
      for (int c = 0; c < queries * d; c++) {
        dx[xo + c] += dr[ro + c];
      }
    }
    Arrays.fill(dctx, 0, rows * hv, 0.0);
    for (int i = 0; i < queries; i++) {
      wo.backward(tails == 1 ? 0 : i, n, ctx, i * hv, queries * hv, dr, i * d, queries * d, dctx, i * hv, queries * hv);
    }
    attention.backward(n, q, k, v, dctx, dq, dk_, dv_);
    switch (projection) {
      case SHARED, TOKEN -> {
        boolean perToken = projection == Projection.TOKEN;
        for (int i = 0; i < queries; i++) {
          wq.backward(perToken ? i : 0, n, x, (first + i) * d, td, dq, i * hk, queries * hk, dx, (first + i) * d, td);
        }
        for (int j = 0; j < tokens; j++) {
          wk.backward(perToken ? j : 0, n, x, j * d, td, dk_, j * hk, tokens * hk, dx, j * d, td);
          wv.backward(perToken ? j : 0, n, x, j * d, td, dv_, j * hv, tokens * hv, dx, j * d, td);
        }
      }
      case COMPOSITE_FULL -> {
        wq.backward(0, n, x, 0, td, dq, 0, queries * hk, dx, 0, td);
        wk.backward(0, n, x, 0, td, dk_, 0, tokens * hk, dx, 0, td);
        wv.backward(0, n, x, 0, td, dv_, 0, tokens * hv, dx, 0, td);
      }
      case COMPOSITE_LOW_RANK -> {
        if (lastForwardFloat) {
          lowRankBackwardFloat(n, dx);
          break;
        }
        lowRankBackward(n, x, uq, vq, pq, dq, queries * hk, dx);
        lowRankBackward(n, x, uk, vk, pk, dk_, tokens * hk, dx);
        lowRankBackward(n, x, uv, vv, pv, dv_, tokens * hv, dx);
      }
      default -> throw new IllegalStateException();
    }
  }

  /** Through {@code out = (x·U)·V}: dV += pᵀ·dOut, dp = dOut·Vᵀ, dU += xᵀ·dp, dx += dp·Uᵀ. */
  private void lowRankBackward(int n, double[] x, Dense u, Dense vMat, double[] p, double[] dOut, int outWidth,
      double[] dx) {
    int r = u.out();
    Arrays.fill(dp, 0, n * r, 0.0);
    vMat.backward(0, n, p, 0, r, dOut, 0, outWidth, dp, 0, r);
    u.backward(0, n, x, 0, tokens * d, dp, 0, r, dx, 0, tokens * d);
  }

  /** q, k, v of the composite low-rank projections as one float chain: P = E·[Uq | Uk | Uv], then P_j·V_j. */
  private void lowRankForwardFloat(int n, double[] x) {
    int td = tokens * d;
    int rq = uq.out();
    int rk = uk.out();
    int rv = uv.out();
    int r = rq + rk + rv;
    FloatGemm.toFloat(x, 0, td, n, td, ef.ensure(n * td), 0, td);
    if (packedVersion != store.version()) {
      // Training changes the weights every step; scoring many batches with fixed weights packs them once.
      FloatGemm.toFloat(uq.weight().value(), 0, rq, td, rq, ucat.ensure(td * r), 0, r);
      FloatGemm.toFloat(uk.weight().value(), 0, rk, td, rk, ucat, rq, r);
      FloatGemm.toFloat(uv.weight().value(), 0, rv, td, rv, ucat, rq + rk, r);
      packRank(vq, rq, vqf);
      packRank(vk, rk, vkf);
      packRank(vv, rv, vvf);
      packedVersion = store.version();
    }
    FloatGemm.gemm(false, false, n, r, td, ef, 0, td, ucat, 0, r, pcat.ensure(n * r), 0, r);
    projectFloat(n, 0, rq, vq, vqf, q);
    projectFloat(n, rq, rk, vk, vkf, k);
    projectFloat(n, rq + rk, rv, vv, vvf, v);
  }

  /** out (n, w) = P[:, off, off + rank) · V (rank, w). */
  private void projectFloat(int n, int off, int rank, Dense vMat, FloatGemm.Matrix vf, double[] out) {
    int w = vMat.out();
    int r = uq.out() + uk.out() + uv.out();
    FloatGemm.gemm(false, false, n, w, rank, pcat, off, r, vf, 0, w, outf.ensure(n * w), 0, w);
    FloatGemm.toDouble(outf, 0, w, n, w, out, 0, w, false);
  }

  private static void packRank(Dense vMat, int rank, FloatGemm.Matrix vf) {
    int w = vMat.out();
    FloatGemm.toFloat(vMat.weight().value(), 0, w, rank, w, vf.ensure(rank * w), 0, w);
  }

  /** Backward of {@link #lowRankForwardFloat}: gradients of V_j and [Uq | Uk | Uv], and dx += dP·[U]ᵀ. */
  private void lowRankBackwardFloat(int n, double[] dx) {
    int td = tokens * d;
    int rq = uq.out();
    int rk = uk.out();
    int rv = uv.out();
    int r = rq + rk + rv;
    dpcat.ensure(n * r);
    backProjectFloat(n, 0, rq, vq, vqf, dq);
    backProjectFloat(n, rq, rk, vk, vkf, dk_);
    backProjectFloat(n, rq + rk, rv, vv, vvf, dv_);
    // d[Uq | Uk | Uv] (T·d, R) += Eᵀ · dP
    FloatGemm.gemm(true, false, td, r, n, ef, 0, td, dpcat, 0, r, outf.ensure(td * r), 0, r);
    FloatGemm.toDouble(outf, 0, r, td, rq, uq.weight().grad(), 0, rq, true);
    FloatGemm.toDouble(outf, rq, r, td, rk, uk.weight().grad(), 0, rk, true);
    FloatGemm.toDouble(outf, rq + rk, r, td, rv, uv.weight().grad(), 0, rv, true);
    // dx (n, T·d) += dP · [Uq | Uk | Uv]ᵀ
    FloatGemm.gemm(false, true, n, td, r, dpcat, 0, r, ucat, 0, r, outf.ensure(n * td), 0, td);
    FloatGemm.toDouble(outf, 0, td, n, td, dx, 0, td, true);
  }

  /** dV += P[:, off..]ᵀ · dOut and dP[:, off, off + rank) = dOut · Vᵀ. */
  private void backProjectFloat(int n, int off, int rank, Dense vMat, FloatGemm.Matrix vf, double[] dOut) {
    int w = vMat.out();
    int r = uq.out() + uk.out() + uv.out();
    FloatGemm.toFloat(dOut, 0, w, n, w, doutf.ensure(n * w), 0, w);
    FloatGemm.gemm(true, false, rank, w, n, pcat, off, r, doutf, 0, w, outf.ensure(rank * w), 0, w);
    FloatGemm.toDouble(outf, 0, w, rank, w, vMat.weight().grad(), 0, w, true);
    FloatGemm.gemm(false, true, n, rank, w, doutf, 0, w, vf, 0, w, dpcat, off, r);
  }
  /**
   * One example through the composite low-rank projections with float weights (see {@link #ucatH}).
   * Writes q, k, v and the double intermediates pq, pk, pv, so a backward pass can follow as usual.
   */
  private void lowRankForwardOneFloat(double[] x) {
    int td = tokens * d;
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
      interleave(td, projectionsU, r, ucatH);
      toFloatRows(vq.weight().value(), vqH);
      toFloatRows(vk.weight().value(), vkH);
      toFloatRows(vv.weight().value(), vvH);
      mirrorVersion = store.version();
    }
    for (int i = 0; i < td; i++) {
      rowH[i] = (float) x[i];
    }
    rowTimes(rowH, 0, td, ucatH, r, projH);
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
    projectOne(0, rq, vqH, vq.out(), q);
    projectOne(rq, rk, vkH, vk.out(), k);
    projectOne(rq + rk, rv, vvH, vv.out(), v);
  }

  private void projectOne(int off, int rank, float[][] weights, int w, double[] out) {
    rowTimes(projH, off, rank, weights, w, outH);
    for (int j = 0; j < w; j++) {
      out[j] = outH[j];
    }
  }

  /**
   * out (w) = row[off, off + len) · M (len rows of w), float. Four rows of M per pass, so one load and store
   * of {@code out} serves four multiply-adds; every access in the inner loop uses the same index j.
   */
  private static void rowTimes(float[] row, int off, int len, float[][] m, int w, float[] out) {
    java.util.Arrays.fill(out, 0, w, 0f);
    int p = 0;
    for (; p + 3 < len; p += 4) {
      float a0 = row[off + p];
      float a1 = row[off + p + 1];
      float a2 = row[off + p + 2];
      float a3 = row[off + p + 3];
      float[] m0 = m[p];
      float[] m1 = m[p + 1];
      float[] m2 = m[p + 2];
      float[] m3 = m[p + 3];
      for (int j = 0; j < w; j++) {
        out[j] += a0 * m0[j] + a1 * m1[j] + a2 * m2[j] + a3 * m3[j];
      }
    }
    for (; p < len; p++) {
      float a = row[off + p];
      float[] mp = m[p];
      for (int j = 0; j < w; j++) {
        out[j] += a * mp[j];
      }
    }
  }

  private static void interleave(int rows, Dense[] parts, int width, float[][] out) {
    int col = 0;
    for (Dense part : parts) {
      double[] w = part.weight().value();
      int c = part.out();
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < c; j++) {
          out[i][col + j] = (float) w[i * c + j];
        }
      }
      col += c;
    }
  }

  private static void toFloatRows(double[] a, float[][] rows) {
    int w = rows[0].length;
    for (int i = 0; i < rows.length; i++) {
      float[] row = rows[i];
      for (int j = 0; j < w; j++) {
        row[j] = (float) a[i * w + j];
      }
    }
  }
}
