package ai.hiformer.model.nn;

import ai.hiformer.model.math.Activation;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One post-LayerNorm attention layer over T tokens, of the three kinds the paper compares (Gui et
 * al. 2023, §3–§5; docs/PROTOCOL.md §2.2). Shape letters: B batch, T tokens, Tq query tokens (the
 * last Tq of the T; Tq = T unpruned, Tq = t task tokens when pruned), d width, H heads, dk / dv
 * head sizes, r ranks, F FFN width.
 *
 * <ul>
 *   <li>{@link Projection#SHARED}: vanilla Transformer, Q/K/V/O and FFN shared by all tokens.
 *   <li>{@link Projection#TOKEN}: heterogeneous attention, token-specific Q_i, K_j, V_j, O_i,
 *       FFN_i.
 *   <li>{@link Projection#COMPOSITE_LOW_RANK} / {@link Projection#COMPOSITE_FULL}: Hiformer;
 *       concat(E) (B, T·d) is projected to every token's query/key/value at once, {@code W ≈ U V}
 *       with U (T·d, r), V (r, T·H·dk), or a full (T·d, T·H·dk) matrix; O_i and FFN_i
 *       token-specific.
 * </ul>
 *
 * <p>Then per query token i: {@code o_i = concat_h(softmax_j(q_i^h·k_j^h/√dk) v_j^h) Wo_i + bo_i},
 * {@code h_i = LN1(x_i + o_i)}, {@code y_i = LN2(h_i + W2_i act(W1_i h_i + b1_i) + b2_i)}; the two
 * LayerNorms are shared by all tokens. Output y is (B, Tq, d). Pruning the last layer to the task
 * tokens is exact: keys and values still cover all T tokens.
 */
public final class AttentionLayer {
  /** How queries, keys and values are projected from the tokens. */
  public enum Projection {
    SHARED,
    TOKEN,
    COMPOSITE_LOW_RANK,
    COMPOSITE_FULL
  }

  private final int tokens; // T
  private final int queries; // Tq
  private final int d;
  private final int heads; // H
  private final int dk;
  private final int dv;
  private final int ffn; // F
  private final Activation activation;
  private final QkvProjection projection;
  // Tail
  private final Dense wo;
  private final Dense w1;
  private final Dense w2;
  private final LayerNorm ln1;
  private final LayerNorm ln2;
  private final boolean tokenSpecificTail;
  private final DotProductAttention attention;

  // Activations of the last forward, sized for the largest batch seen.
  private double[] q; // (B, Tq, H·dk)
  private double[] k; // (B, T, H·dk)
  private double[] v; // (B, T, H·dv)
  private double[] ctx; // (B, Tq, H·dv) attention output before Wo
  private double[] h1; // (B, Tq, d) LN1 output
  private double[] f1pre; // (B, Tq, F)
  private double[] f1; // (B, Tq, F)
  private double[] r2; // (B, Tq, d) residual sums, then LN inputs
  // Gradients
  private double[] dq;
  private double[] dk_;
  private double[] dv_;
  private double[] dctx;
  private double[] dh1;
  private double[] df1;
  private double[] dr;

  /**
   * @param queries Tq: the last Tq tokens act as queries (T for an unpruned layer, t when pruned)
   * @param ranks r_q, r_k, r_v for {@link Projection#COMPOSITE_LOW_RANK} (ignored otherwise)
   */
  public AttentionLayer(
      ParamStore store,
      String name,
      Projection projection,
      int tokens,
      int queries,
      int d,
      int heads,
      int dk,
      int dv,
      int ffn,
      Activation activation,
      int rankQ,
      int rankK,
      int rankV) {
    if (queries <= 0 || queries > tokens) {
      throw new IllegalArgumentException(
          "queries must be in [1, tokens], got " + queries + " of " + tokens);
    }
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
    // Created first, in this order: the parameter store's layout (and the initialisation order)
    // depend on it.
    this.projection =
        switch (projection) {
          case SHARED -> new PerTokenProjection(store, name, false, tokens, queries, d, hk, hv);
          case TOKEN -> new PerTokenProjection(store, name, true, tokens, queries, d, hk, hv);
          case COMPOSITE_FULL ->
              new CompositeFullProjection(store, name, tokens, queries, d, hk, hv);
          case COMPOSITE_LOW_RANK ->
              new LowRankProjection(store, name, tokens, queries, d, hk, hv, rankQ, rankK, rankV);
        };
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

  /**
   * Xavier-uniform for every matrix (per slice), zero biases, LayerNorm γ=1 β=0 (docs/PROTOCOL.md
   * §2.1).
   */
  public void init(SplittableRandom rng) {
    projection.init(rng);
    Dense.initXavier(rng, wo, w1, w2);
  }

  private void ensureCapacity(int n) {
    int hk = heads * dk;
    int hv = heads * dv;
    q = Buffers.ensure(q, n * queries * hk);
    k = Buffers.ensure(k, n * tokens * hk);
    v = Buffers.ensure(v, n * tokens * hv);
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

  /**
   * x (n, T, d) → y (n, Tq, d). x is not modified and must stay unchanged until {@link #backward}.
   */
  public void forward(int n, double[] x, double[] y) {
    ensureCapacity(n);
    int hv = heads * dv;
    int td = tokens * d;
    int first = tokens - queries; // absolute index of query 0
    projection.forward(n, x, q, k, v);
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
      w2.backward(
          s, n, f1, i * ffn, queries * ffn, dr, i * d, queries * d, df1, i * ffn, queries * ffn);
    }
    activation.backwardInPlace(f1pre, 0, df1, 0, rows * ffn);
    for (int i = 0; i < queries; i++) {
      int s = tails == 1 ? 0 : i;
      w1.backward(
          s, n, h1, i * d, queries * d, df1, i * ffn, queries * ffn, dh1, i * d, queries * d);
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
      wo.backward(
          tails == 1 ? 0 : i,
          n,
          ctx,
          i * hv,
          queries * hv,
          dr,
          i * d,
          queries * d,
          dctx,
          i * hv,
          queries * hv);
    }
    attention.backward(n, q, k, v, dctx, dq, dk_, dv_);
    projection.backward(n, x, dq, dk_, dv_, dx);
  }
}
