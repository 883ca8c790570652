package ai.hiformer.model;

import ai.hiformer.model.math.Activation;
import java.util.Arrays;

/**
 * Immutable, validated configuration of one network. Defaults are the protocol's (PROTOCOL.md §2):
 * d = 16, Hiformer/HeteroAtt with H = 2, d_k = d_v = 8, ranks r_q = r_k = 64, r_v = 128, one pruned
 * layer, ReLU FFN of width 4d, task head d → 32 → 1, DCN-v2 with 2 cross layers and MLP 64-32.
 *
 * <pre>{@code
 * ModelConfig c = ModelConfig.builder(ModelKind.HIFORMER).layers(2).ffnActivation(Activation.GELU).build();
 * }</pre>
 *
 * @param denseTokens 0: one token per numeric field ({@code t·w_f + m·u_f}, the protocol); n &gt; 0: the
 *     paper's dense MLP f_D over all numeric fields, split into n tokens of width d
 */
public record ModelConfig(
    ModelKind kind,
    int d,
    int heads,
    int keyDim,
    int valueDim,
    int layers,
    boolean pruneLastLayer,
    int rankQ,
    int rankK,
    int rankV,
    boolean fullRank,
    Activation ffnActivation,
    int ffnHidden,
    int headHidden,
    int crossLayers,
    int[] dcnMlp,
    int denseTokens,
    int denseHidden,
    int tasks,
    double embeddingInitStd,
    long seed) {

  public ModelConfig {
    require(kind != null, "model.kind", "null", "one of " + Arrays.toString(ModelKind.values()));
    require(d > 0, "model.d", d, "> 0");
    require(heads > 0, "model.heads", heads, "> 0");
    require(keyDim > 0, "model.key-dim", keyDim, "> 0");
    require(valueDim > 0, "model.value-dim", valueDim, "> 0");
    require(layers > 0, "model.layers", layers, "> 0");
    require(rankQ > 0, "model.rank-q", rankQ, "> 0");
    require(rankK > 0, "model.rank-k", rankK, "> 0");
    require(rankV > 0, "model.rank-v", rankV, "> 0");
    require(ffnActivation != null, "model.ffn-activation", "null", "relu or gelu");
    require(ffnHidden > 0, "model.ffn-hidden", ffnHidden, "> 0");
    require(headHidden > 0, "model.head-hidden", headHidden, "> 0");
    require(crossLayers >= 0, "model.cross-layers", crossLayers, ">= 0");
    require(dcnMlp != null, "model.dcn-mlp", "null", "a list of positive widths");
    for (int w : dcnMlp) {
      require(w > 0, "model.dcn-mlp", Arrays.toString(dcnMlp), "positive widths");
    }
    dcnMlp = dcnMlp.clone();
    require(denseTokens >= 0, "model.dense-tokens", denseTokens, ">= 0 (0 = one token per numeric field)");
    require(denseHidden > 0, "model.dense-hidden", denseHidden, "> 0");
    require(tasks > 0, "model.tasks", tasks, "> 0");
    require(embeddingInitStd >= 0 && Double.isFinite(embeddingInitStd), "model.embedding-init-std", embeddingInitStd, "finite and >= 0");
  }

  private static void require(boolean ok, String key, Object value, String allowed) {
    if (!ok) {
      throw new IllegalArgumentException("invalid " + key + " = " + value + "; allowed: " + allowed);
    }
  }

  @Override
  public int[] dcnMlp() {
    return dcnMlp.clone();
  }

  public static Builder builder(ModelKind kind) {
    return new Builder(kind);
  }

  public Builder toBuilder() {
    Builder b = new Builder(kind);
    b.d = d; b.heads = heads; b.keyDim = keyDim; b.valueDim = valueDim; b.layers = layers;
    b.pruneLastLayer = pruneLastLayer; b.rankQ = rankQ; b.rankK = rankK; b.rankV = rankV;
    b.fullRank = fullRank; b.ffnActivation = ffnActivation; b.ffnHidden = ffnHidden;
    b.headHidden = headHidden; b.crossLayers = crossLayers; b.dcnMlp = dcnMlp.clone();
    b.denseTokens = denseTokens; b.denseHidden = denseHidden; b.tasks = tasks;
    b.embeddingInitStd = embeddingInitStd; b.seed = seed;
    return b;
  }

  @Override
  public String toString() {
    return String.format("ModelConfig[kind=%s d=%d heads=%d dk=%d dv=%d layers=%d prune=%s ranks=%d/%d/%d fullRank=%s ffn=%s/%d head=%d cross=%d mlp=%s denseTokens=%d tasks=%d seed=%d]",
        kind, d, heads, keyDim, valueDim, layers, pruneLastLayer, rankQ, rankK, rankV, fullRank,
        ffnActivation, ffnHidden, headHidden, crossLayers, Arrays.toString(dcnMlp), denseTokens, tasks, seed);
  }

  /** Builder with the protocol's defaults. */
  public static final class Builder {
    private final ModelKind kind;
    private int d = 16;
    private int heads = 2;
    private int keyDim = 8;
    private int valueDim = 8;
    private int layers = 1;
    private boolean pruneLastLayer = true;
    private int rankQ = 64;
    private int rankK = 64;
    private int rankV = 128;
    private boolean fullRank = false;
    private Activation ffnActivation = Activation.RELU;
    private int ffnHidden = -1; // 4d unless set
    private int headHidden = 32;
    private int crossLayers = 2;
    private int[] dcnMlp = {64, 32};
    private int denseTokens = 0;
    private int denseHidden = 64;
    private int tasks = 1;
    private double embeddingInitStd = 0.01;
    private long seed = 0;

    private Builder(ModelKind kind) {
      this.kind = kind;
    }

    public Builder d(int v) { d = v; return this; }
    public Builder heads(int v) { heads = v; return this; }
    public Builder keyDim(int v) { keyDim = v; return this; }
    public Builder valueDim(int v) { valueDim = v; return this; }
    public Builder layers(int v) { layers = v; return this; }
    public Builder pruneLastLayer(boolean v) { pruneLastLayer = v; return this; }
    public Builder rankQ(int v) { rankQ = v; return this; }
    public Builder rankK(int v) { rankK = v; return this; }
    public Builder rankV(int v) { rankV = v; return this; }
    public Builder fullRank(boolean v) { fullRank = v; return this; }
    public Builder ffnActivation(Activation v) { ffnActivation = v; return this; }
    public Builder ffnHidden(int v) { ffnHidden = v; return this; }
    public Builder headHidden(int v) { headHidden = v; return this; }
    public Builder crossLayers(int v) { crossLayers = v; return this; }
    public Builder dcnMlp(int... v) { dcnMlp = v.clone(); return this; }
    public Builder denseTokens(int v) { denseTokens = v; return this; }
    public Builder denseHidden(int v) { denseHidden = v; return this; }
    public Builder tasks(int v) { tasks = v; return this; }
    public Builder embeddingInitStd(double v) { embeddingInitStd = v; return this; }
    public Builder seed(long v) { seed = v; return this; }

    public ModelConfig build() {
      return new ModelConfig(kind, d, heads, keyDim, valueDim, layers, pruneLastLayer, rankQ, rankK, rankV,
          fullRank, ffnActivation, ffnHidden > 0 ? ffnHidden : 4 * d, headHidden, crossLayers, dcnMlp,
          denseTokens, denseHidden, tasks, embeddingInitStd, seed);
    }
  }
}
