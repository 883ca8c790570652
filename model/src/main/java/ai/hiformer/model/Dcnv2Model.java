package ai.hiformer.model;

import ai.hiformer.model.math.Activation;
import ai.hiformer.model.nn.Buffers;
import ai.hiformer.model.nn.Dense;
import ai.hiformer.model.nn.Mlp;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * DCN-v2, parallel form (Wang et al. 2021; docs/PROTOCOL.md §2.2): {@code x0 = concat(e_1..e_L)}
 * (B, L·d); cross layers {@code x_{l+1} = x0 ⊙ (x_l W_l + b_l) + x_l} with full (L·d, L·d)
 * matrices; beside them an MLP on x0 (ReLU); {@code logit_k = w_k·[x_last; mlp(x0)] + b_k}.
 */
public final class Dcnv2Model extends TokenModel {
  private final Dense[] cross;
  private final Mlp mlp;
  private final Dense out;
  private final int width; // L·d
  private final int mlpOut;
  private final double[][] xs; // xs[0] = x0, xs[l+1] = output of cross layer l
  private final double[][] zs; // x_l W_l + b_l
  private double[] concat; // (B, L·d + mlpOut)
  private double[] dConcat;
  private double[] dx0;
  private double[] dCur;
  private double[] dz;

  public Dcnv2Model(ModelConfig config, InputLayout layout) {
    super(config, layout, config.d(), config.embeddingInitStd());
    int d = config.d();
    width = tokens.tokens() * d;
    cross = new Dense[config.crossLayers()];
    for (int i = 0; i < cross.length; i++) {
      cross[i] = new Dense(store, "cross" + i, 1, width, width, true);
    }
    int[] dims = config.dcnMlp();
    int[] hidden = Arrays.copyOf(dims, dims.length - 1);
    mlpOut = dims[dims.length - 1];
    // The last MLP width is itself followed by ReLU in the protocol (Ld→64→32, ReLU after each), so
    // the Mlp's output layer is applied with a separate ReLU below.
    mlp = new Mlp(store, "mlp", width, hidden, mlpOut, Activation.RELU);
    out = new Dense(store, "out", 1, width + mlpOut, config.tasks(), true);
    xs = new double[cross.length + 1][];
    zs = new double[cross.length][];
    SplittableRandom rng = new SplittableRandom(config.seed());
    tokens.init(rng, config.embeddingInitStd());
    for (Dense c : cross) {
      c.initXavier(rng);
    }
    mlp.initXavier(rng);
    out.initXavier(rng);
  }

  @Override
  public void forward(Batch batch, double[] logits) {
    int n = batch.size();
    int cw = width + mlpOut;
    for (int i = 0; i <= cross.length; i++) {
      xs[i] = Buffers.ensure(xs[i], n * width);
    }
    for (int i = 0; i < cross.length; i++) {
      zs[i] = Buffers.ensure(zs[i], n * width);
    }
    concat = Buffers.ensure(concat, n * cw);
    double[] x0 = xs[0];
    tokens.forward(batch, x0, tokens.tokens());
    for (int i = 0; i < cross.length; i++) {
      // z = x_l W_l + b_l: (B, L·d) · (L·d, L·d)
      cross[i].forward(0, n, xs[i], 0, width, zs[i], 0, width);
      double[] z = zs[i];
      double[] xl = xs[i];
      double[] next = xs[i + 1];
      for (int c = 0; c < n * width; c++) {
        next[c] = x0[c] * z[c] + xl[c];
      }
    }
    double[] xLast = xs[cross.length];
    for (int b = 0; b < n; b++) {
      System.arraycopy(xLast, b * width, concat, b * cw, width);
    }
    mlp.forward(n, x0, 0, width, concat, width, cw);
    for (int b = 0; b < n; b++) {
      for (int c = 0; c < mlpOut; c++) {
        int o = b * cw + width + c;
        if (concat[o] < 0) {
          concat[o] = 0;
        }
      }
    }
    out.forward(0, n, concat, 0, cw, logits, 0, config.tasks());
  }

  @Override
  public void backward(Batch batch, double[] dLogits) {
    int n = batch.size();
    int cw = width + mlpOut;
    dConcat = Buffers.ensure(dConcat, n * cw);
    dx0 = Buffers.ensure(dx0, n * width);
    dCur = Buffers.ensure(dCur, n * width);
    dz = Buffers.ensure(dz, n * width);
    Arrays.fill(dConcat, 0, n * cw, 0.0);
    out.backward(0, n, concat, 0, cw, dLogits, 0, config.tasks(), dConcat, 0, cw);
    for (int b = 0; b < n; b++) {
      for (int c = 0; c < mlpOut; c++) {
        int o = b * cw + width + c;
        if (concat[o] <= 0) {
          dConcat[o] = 0;
        }
      }
    }
    Arrays.fill(dx0, 0, n * width, 0.0);
    mlp.backward(n, xs[0], 0, width, dConcat, width, cw, dx0, 0, width);
    for (int b = 0; b < n; b++) {
      System.arraycopy(dConcat, b * cw, dCur, b * width, width);
    }
    double[] x0 = xs[0];
    for (int i = cross.length - 1; i >= 0; i--) {
      double[] z = zs[i];
      for (int c = 0; c < n * width; c++) {
        dz[c] = dCur[c] * x0[c];
        dx0[c] += dCur[c] * z[c];
      }
      // dx_l = dx_{l+1} + dz W_lᵀ (accumulated into dCur, which holds dx_{l+1})
      cross[i].backward(0, n, xs[i], 0, width, dz, 0, width, dCur, 0, width);
    }
    for (int c = 0; c < n * width; c++) {
      dx0[c] += dCur[c];
    }
    tokens.backward(batch, dx0, tokens.tokens());
  }

  @Override
  public void shiftLogits(double[] delta) {
    addTo(out.bias(), delta);
  }

  @Override
  public long macsPerExample() {
    long macs = (long) cross.length * width * width;
    int prev = width;
    for (int w : config.dcnMlp()) {
      macs += (long) prev * w;
      prev = w;
    }
    return macs + (long) (width + mlpOut) * config.tasks();
  }
}
