package ai.hiformer.model;

import ai.hiformer.model.nn.AttentionLayer;
import ai.hiformer.model.nn.AttentionLayer.Projection;
import ai.hiformer.model.nn.Buffers;
import ai.hiformer.model.nn.Init;
import ai.hiformer.model.nn.Param;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Hiformer, heterogeneous attention and the vanilla Transformer with task tokens
 * (docs/ARCHITECTURE.md §3): L feature tokens plus t learned task tokens (appended last, one per
 * task), {@code layers} attention layers of which the last, when pruned, computes queries, O and
 * FFN for the t task tokens only, then a head MLP per task on its task token.
 *
 * <p>Shapes: x (B, T, d) with T = L + t; layer ℓ &lt; last maps (B, T, d) → (B, T, d); the pruned
 * last layer maps (B, T, d) → (B, t, d).
 */
public final class TransformerModel extends TokenModel {
  private final Param taskTokens; // (t, d)
  private final AttentionLayer[] layers;
  private final TaskHeads heads;
  private final int tokenCount; // T
  private final double[][] acts; // acts[0] = x; acts[ℓ+1] = output of layer ℓ
  private final double[][] grads; // gradients of acts
  private final int[] widths; // tokens per example in acts[ℓ]

  public TransformerModel(ModelConfig config, InputLayout layout) {
    super(config, layout, config.d(), config.embeddingInitStd());
    int d = config.d();
    int t = config.tasks();
    taskTokens = store.create("task", t, d);
    tokenCount = tokens.tokens() + t;
    Projection projection =
        switch (config.kind()) {
          case HIFORMER ->
              config.fullRank() ? Projection.COMPOSITE_FULL : Projection.COMPOSITE_LOW_RANK;
          case HETERO_ATT -> Projection.TOKEN;
          case TRANSFORMER -> Projection.SHARED;
          default ->
              throw new IllegalArgumentException(
                  config.kind() + " is not an attention model with task tokens");
        };
    layers = new AttentionLayer[config.layers()];
    widths = new int[config.layers() + 1];
    widths[0] = tokenCount;
    for (int l = 0; l < layers.length; l++) {
      boolean last = l == layers.length - 1;
      int queries = last && config.pruneLastLayer() ? t : tokenCount;
      layers[l] =
          new AttentionLayer(
              store,
              "layer" + l,
              projection,
              tokenCount,
              queries,
              d,
              config.heads(),
              config.keyDim(),
              config.valueDim(),
              config.ffnHidden(),
              config.ffnActivation(),
              config.rankQ(),
              config.rankK(),
              config.rankV());
      widths[l + 1] = queries;
    }
    heads = new TaskHeads(store, t, d, config.headHidden());
    acts = new double[layers.length + 1][];
    grads = new double[layers.length + 1][];
    SplittableRandom rng = new SplittableRandom(config.seed());
    tokens.init(rng, config.embeddingInitStd());
    Init.normal(taskTokens, config.embeddingInitStd(), rng);
    for (AttentionLayer layer : layers) {
      layer.init(rng);
    }
    heads.init(rng);
  }

  /** T: feature tokens plus task tokens. */
  public int tokenCount() {
    return tokenCount;
  }

  @Override
  public void forward(Batch batch, double[] logits) {
    int n = batch.size();
    int d = config.d();
    int t = config.tasks();
    for (int l = 0; l <= layers.length; l++) {
      acts[l] = Buffers.ensure(acts[l], n * widths[l] * d);
      grads[l] = Buffers.ensure(grads[l], n * widths[l] * d);
    }
    double[] x = acts[0];
    tokens.forward(batch, x, tokenCount);
    double[] task = taskTokens.value();
    int first = tokens.tokens();
    for (int b = 0; b < n; b++) {
      System.arraycopy(task, 0, x, (b * tokenCount + first) * d, t * d);
    }
    for (int l = 0; l < layers.length; l++) {
      layers[l].forward(n, acts[l], acts[l + 1]);
    }
    heads.forward(n, acts[layers.length], widths[layers.length], logits);
  }

  @Override
  public void backward(Batch batch, double[] dLogits) {
    int n = batch.size();
    int d = config.d();
    int t = config.tasks();
    int top = layers.length;
    Arrays.fill(grads[top], 0, n * widths[top] * d, 0.0);
    heads.backward(n, acts[top], widths[top], dLogits, grads[top]);
    for (int l = layers.length - 1; l >= 0; l--) {
      layers[l].backward(n, acts[l], grads[l + 1], grads[l]);
    }
    double[] dx = grads[0];
    double[] dTask = taskTokens.grad();
    int first = tokens.tokens();
    for (int b = 0; b < n; b++) {
      int o = (b * tokenCount + first) * d;
      for (int c = 0; c < t * d; c++) {
        dTask[c] += dx[o + c];
      }
    }
    tokens.backward(batch, dx, tokenCount);
  }

  @Override
  public void shiftLogits(double[] delta) {
    heads.shiftLogits(delta);
  }

  @Override
  public long macsPerExample() {
    int d = config.d();
    int hk = config.heads() * config.keyDim();
    int hv = config.heads() * config.valueDim();
    long macs = 0;
    long td = (long) tokenCount * d;
    for (int l = 0; l < layers.length; l++) {
      long tq = widths[l + 1];
      macs +=
          switch (config.kind()) {
            case HIFORMER ->
                config.fullRank()
                    ? td * (tq * hk + (long) tokenCount * hk + (long) tokenCount * hv)
                    : td * (config.rankQ() + config.rankK() + config.rankV())
                        + (long) config.rankQ() * tq * hk
                        + (long) config.rankK() * tokenCount * hk
                        + (long) config.rankV() * tokenCount * hv;
            default -> (long) d * (tq * hk + (long) tokenCount * hk + (long) tokenCount * hv);
          };
      macs += tq * tokenCount * (hk + hv); // scores and weighted values
      macs += tq * ((long) hv * d + 2L * d * config.ffnHidden()); // O and FFN
    }
    return macs + heads.macs();
  }
}
