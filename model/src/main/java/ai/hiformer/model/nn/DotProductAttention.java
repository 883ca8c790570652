package ai.hiformer.model.nn;

import java.util.Arrays;

/**
 * Multi-head scaled dot-product attention on already projected tensors: q (B, Tq, H·dk), k (B, T,
 * H·dk), v (B, T, H·dv) → ctx (B, Tq, H·dv) with {@code ctx_i^h = Σ_j softmax_j(q_i^h·k_j^h / √dk)
 * v_j^h}. Keeps the probabilities (B, H, Tq, T) of the last forward for backward.
 */
public final class DotProductAttention {
  private final int tokens;
  private final int queries;
  private final int heads;
  private final int dk;
  private final int dv;
  private final double scale;
  private final double[] softmaxGrad; // dA_j of one (example, head, query)
  private double[] attn;

  public DotProductAttention(int tokens, int queries, int heads, int dk, int dv) {
    this.tokens = tokens;
    this.queries = queries;
    this.heads = heads;
    this.dk = dk;
    this.dv = dv;
    this.scale = 1.0 / Math.sqrt(dk);
    this.softmaxGrad = new double[tokens];
  }

  /** Fills ctx (n, Tq, H·dv), overwritten. Inputs are not modified. */
  public void forward(int n, double[] q, double[] k, double[] v, double[] ctx) {
    attn = Buffers.ensure(attn, n * heads * queries * tokens);
    int hk = heads * dk;
    int hv = heads * dv;
    for (int b = 0; b < n; b++) {
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < queries; i++) {
          int qo = (b * queries + i) * hk + h * dk;
          int ao = ((b * heads + h) * queries + i) * tokens;
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < tokens; j++) {
            int ko = (b * tokens + j) * hk + h * dk;
            double s = 0;
            for (int c = 0; c < dk; c++) {
              s += q[qo + c] * k[ko + c];
            }
            s *= scale;
            attn[ao + j] = s;
            if (s > max) {
              max = s;
            }
          }
          double sum = 0;
          for (int j = 0; j < tokens; j++) {
            double e = Math.exp(attn[ao + j] - max);
            attn[ao + j] = e;
            sum += e;
          }
          double inv = 1.0 / sum;
          int co = (b * queries + i) * hv + h * dv;
          Arrays.fill(ctx, co, co + dv, 0.0);
          for (int j = 0; j < tokens; j++) {
            double a = attn[ao + j] * inv;
            attn[ao + j] = a;
            int vo = (b * tokens + j) * hv + h * dv;
            for (int c = 0; c < dv; c++) {
              ctx[co + c] += a * v[vo + c];
            }
          }
        }
      }
    }
  }

  /** dctx → dq, dk, dv (all overwritten), from the probabilities of the last forward. */
  public void backward(
      int n,
      double[] q,
      double[] k,
      double[] v,
      double[] dctx,
      double[] dq,
      double[] dk,
      double[] dv) {
    int hk = heads * this.dk;
    int hv = heads * this.dv;
    Arrays.fill(dq, 0, n * queries * hk, 0.0);
    Arrays.fill(dk, 0, n * tokens * hk, 0.0);
    Arrays.fill(dv, 0, n * tokens * hv, 0.0);
    for (int b = 0; b < n; b++) {
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < queries; i++) {
          int ao = ((b * heads + h) * queries + i) * tokens;
          int co = (b * queries + i) * hv + h * this.dv;
          int qo = (b * queries + i) * hk + h * this.dk;
          double dot = 0;
          for (int j = 0; j < tokens; j++) {
            int vo = (b * tokens + j) * hv + h * this.dv;
            double a = attn[ao + j];
            double da = 0;
            for (int c = 0; c < this.dv; c++) {
              da += dctx[co + c] * v[vo + c];
              dv[vo + c] += a * dctx[co + c];
            }
            softmaxGrad[j] = da;
            dot += a * da;
          }
          // softmax backward: dS_j = A_j (dA_j − Σ_l A_l dA_l), then through the 1/√dk scale
          for (int j = 0; j < tokens; j++) {
            double ds = attn[ao + j] * (softmaxGrad[j] - dot) * scale;
            int ko = (b * tokens + j) * hk + h * this.dk;
            for (int c = 0; c < this.dk; c++) {
              dq[qo + c] += ds * k[ko + c];
              dk[ko + c] += ds * q[qo + c];
            }
          }
        }
      }
    }
  }
}
