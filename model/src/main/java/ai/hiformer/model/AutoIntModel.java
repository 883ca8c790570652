package ai.hiformer.model;

import ai.hiformer.model.nn.Buffers;
import ai.hiformer.model.nn.Dense;
import ai.hiformer.model.nn.DotProductAttention;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * AutoInt (Song et al. 2019) as docs/PROTOCOL.md §2.2 defines it: one attention layer with
 * projections W_Q, W_K, W_V, W_res (d, H·dk) shared by all L tokens (no bias, no task token);
 * {@code h = ReLU(concat_h(softmax(QKᵀ/√dk) V) + E W_res)}; {@code logit_k = w_k·flatten(h) + b_k}.
 * Shapes: E (B, L, d); Q, K, V, h (B, L, H·dk).
 */
public final class AutoIntModel extends TokenModel {
  private final Dense wq;
  private final Dense wk;
  private final Dense wv;
  private final Dense wres;
  private final Dense out;
  private final DotProductAttention attention;
  private final int l;
  private final int hk;
  private double[] x;
  private double[] q;
  private double[] k;
  private double[] v;
  private double[] h;
  private double[] dx;
  private double[] dq;
  private double[] dk;
  private double[] dv;
  private double[] dh;

  public AutoIntModel(ModelConfig config, InputLayout layout) {
    super(config, layout, config.d(), config.embeddingInitStd());
    int d = config.d();
    l = tokens.tokens();
    hk = config.heads() * config.keyDim();
    wq = new Dense(store, "Wq", 1, d, hk, false);
    wk = new Dense(store, "Wk", 1, d, hk, false);
    wv = new Dense(store, "Wv", 1, d, hk, false);
    wres = new Dense(store, "Wres", 1, d, hk, false);
    out = new Dense(store, "out", 1, l * hk, config.tasks(), true);
    attention = new DotProductAttention(l, l, config.heads(), config.keyDim(), config.keyDim());
    SplittableRandom rng = new SplittableRandom(config.seed());
    tokens.init(rng, config.embeddingInitStd());
    for (Dense m : new Dense[] {wq, wk, wv, wres, out}) {
      m.initXavier(rng);
    }
  }

  @Override
  public void forward(Batch batch, double[] logits) {
    int n = batch.size();
    int d = config.d();
    x = Buffers.ensure(x, n * l * d);
    q = Buffers.ensure(q, n * l * hk);
    k = Buffers.ensure(k, n * l * hk);
    v = Buffers.ensure(v, n * l * hk);
    h = Buffers.ensure(h, n * l * hk);
    tokens.forward(batch, x, l);
    // (B·L, d) · (d, H·dk) → (B·L, H·dk): every token shares the projections
    wq.forward(0, n * l, x, 0, d, q, 0, hk);
    wk.forward(0, n * l, x, 0, d, k, 0, hk);
    wv.forward(0, n * l, x, 0, d, v, 0, hk);
    attention.forward(n, q, k, v, h);
    // residual projection: h += E W_res, then ReLU in place (h > 0 marks the active units)
    wres.forwardAccumulate(n * l, x, h);
    for (int i = 0; i < n * l * hk; i++) {
      if (h[i] < 0) {
        h[i] = 0;
      }
    }
    // (B, L·H·dk) · (L·H·dk, t) → logits (B, t)
    out.forward(0, n, h, 0, l * hk, logits, 0, config.tasks());
  }

  @Override
  public void backward(Batch batch, double[] dLogits) {
    int n = batch.size();
    int d = config.d();
    dx = Buffers.ensure(dx, n * l * d);
    dq = Buffers.ensure(dq, n * l * hk);
    dk = Buffers.ensure(dk, n * l * hk);
    dv = Buffers.ensure(dv, n * l * hk);
    dh = Buffers.ensure(dh, n * l * hk);
    Arrays.fill(dh, 0, n * l * hk, 0.0);
    out.backward(0, n, h, 0, l * hk, dLogits, 0, config.tasks(), dh, 0, l * hk);
    for (int i = 0; i < n * l * hk; i++) {
      if (h[i] <= 0) {
        dh[i] = 0;
      }
    }
    Arrays.fill(dx, 0, n * l * d, 0.0);
    wres.backward(0, n * l, x, 0, d, dh, 0, hk, dx, 0, d);
    attention.backward(n, q, k, v, dh, dq, dk, dv);
    wq.backward(0, n * l, x, 0, d, dq, 0, hk, dx, 0, d);
    wk.backward(0, n * l, x, 0, d, dk, 0, hk, dx, 0, d);
    wv.backward(0, n * l, x, 0, d, dv, 0, hk, dx, 0, d);
    tokens.backward(batch, dx, l);
  }

  @Override
  public void shiftLogits(double[] delta) {
    addTo(out.bias(), delta);
  }

  @Override
  public long macsPerExample() {
    return 4L * l * config.d() * hk + 2L * l * l * hk + (long) l * hk * config.tasks();
  }
}
