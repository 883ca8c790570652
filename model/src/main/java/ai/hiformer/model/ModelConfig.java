package ai.hiformer.model;

import ai.hiformer.model.math.Activation;
import ai.hiformer.model.math.Precision;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Immutable, validated configuration of one network. {@link #builder(ModelKind)} starts from the
 * protocol's values (docs/PROTOCOL.md §2): d = 16, Hiformer/HeteroAtt with H = 2, d_k = d_v = 8,
 * ranks r_q = r_k = 64, r_v = 128, one pruned layer, ReLU FFN of width 4d, task head d → 32 → 1,
 * DCN-v2 with 2 cross layers and MLP 64-32. {@link ModelProfile#ONLINE}, the job's and {@code
 * evaluate}'s default, changes only how a new model starts (docs/RESULTS.md has the 12-seed
 * evidence): first logits centred, embedding rows drawn with std 0.02.
 *
 * <pre>{@code
 * ModelConfig c = ModelConfig.builder(ModelKind.HIFORMER).layers(2).ffnActivation(Activation.GELU).build();
 * }</pre>
 *
 * @param denseTokens 0: one token per numeric field ({@code t·w_f + m·u_f}, the protocol); n &gt;
 *     0: the paper's dense MLP f_D over all numeric fields, split into n tokens of width d
 * @param centreFirstLogits before a new model's first training step, shift each task's output bias
 *     so that the batch's mean logit is 0 (a data-dependent initialisation that reads features,
 *     never labels): the first predictions sit at 0.5 as logistic regression's do, instead of at an
 *     offset the random head weights chose, which, when large, makes the first thousands of updates
 *     push every embedding row the same way
 */
public record ModelConfig(
    ModelKind kind,
    List<ModelKind> members,
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
    boolean centreFirstLogits,
    long seed,
    Precision precision) {

  public ModelConfig {
    require(kind != null, "model.kind", "null", "one of " + Arrays.toString(ModelKind.values()));
    members = List.copyOf(members);
    if (kind == ModelKind.BLEND) {
      require(
          members.size() >= 2
              && !members.contains(ModelKind.BLEND)
              && Set.copyOf(members).size() == members.size(),
          "model.kind",
          members,
          "two or more different single kinds joined by '+'");
    } else {
      require(
          members.isEmpty(),
          "model.kind",
          kind + " with members " + members,
          "members only for a blend");
    }
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
    require(
        denseTokens >= 0,
        "model.dense-tokens",
        denseTokens,
        ">= 0 (0 = one token per numeric field)");
    require(denseHidden > 0, "model.dense-hidden", denseHidden, "> 0");
    require(tasks > 0, "model.tasks", tasks, "> 0");
    require(precision != null, "model.precision", "null", "float, double");
    require(
        embeddingInitStd >= 0 && Double.isFinite(embeddingInitStd),
        "model.embedding-init-std",
        embeddingInitStd,
        "finite and >= 0");
  }

  private static void require(boolean ok, String key, Object value, String allowed) {
    if (!ok) {
      throw new IllegalArgumentException(
          "invalid " + key + " = " + value + "; allowed: " + allowed);
    }
  }

  @Override
  public int[] dcnMlp() {
    return dcnMlp.clone();
  }

  /** A builder at the protocol's values ({@link ModelProfile#PROTOCOL}). */
  public static Builder builder(ModelKind kind) {
    return new Builder(kind);
  }

  /**
   * A builder for a kind written as text: one kind ({@code hiformer}) or a blend of several joined
   * by '+' ({@code hiformer+dcnv2+lr}).
   */
  public static Builder builder(String kindText) {
    if (!kindText.contains("+")) {
      return builder(ModelKind.parse(kindText.trim()));
    }
    Builder b = new Builder(ModelKind.BLEND);
    b.members =
        Arrays.stream(kindText.split("\\+")).map(String::trim).map(ModelKind::parse).toList();
    return b;
  }

  /** The kind as written: {@code hiformer}, or a blend's members joined by '+'. */
  public String name() {
    return members.isEmpty()
        ? kind.cliName()
        : String.join("+", members.stream().map(ModelKind::cliName).toList());
  }

  /** Member k of a blend: this configuration with that member's kind (same seed, sizes, start). */
  public ModelConfig member(int k) {
    return toBuilder(members.get(k)).build();
  }

  /** A builder at {@code profile}'s values. */
  public static Builder builder(ModelKind kind, ModelProfile profile) {
    return new Builder(kind).profile(profile);
  }

  public Builder toBuilder() {
    Builder b = toBuilder(kind);
    b.members = members;
    return b;
  }

  private Builder toBuilder(ModelKind kind) {
    Builder b = new Builder(kind);
    b.d = d;
    b.heads = heads;
    b.keyDim = keyDim;
    b.valueDim = valueDim;
    b.layers = layers;
    b.pruneLastLayer = pruneLastLayer;
    b.rankQ = rankQ;
    b.rankK = rankK;
    b.rankV = rankV;
    b.fullRank = fullRank;
    b.ffnActivation = ffnActivation;
    b.ffnHidden = ffnHidden;
    b.headHidden = headHidden;
    b.crossLayers = crossLayers;
    b.dcnMlp = dcnMlp.clone();
    b.denseTokens = denseTokens;
    b.denseHidden = denseHidden;
    b.tasks = tasks;
    b.embeddingInitStd = embeddingInitStd;
    b.centreFirstLogits = centreFirstLogits;
    b.seed = seed;
    b.precision = precision;
    return b;
  }

  @Override
  public String toString() {
    return "ModelConfig[" + toProperties().strip().replace('\n', ' ') + "]";
  }

  /** A stable text form, one {@code key=value} per line (snapshot manifests, state). */
  public String toProperties() {
    return ModelConfigKeys.toProperties(this);
  }

  /** Parses {@link #toProperties()} ({@link ModelConfigKeys#fromProperties}). */
  public static ModelConfig fromProperties(String text) {
    return ModelConfigKeys.fromProperties(text);
  }

  /** Builder with the protocol's defaults. */
  public static final class Builder {
    private final ModelKind kind;
    private List<ModelKind> members = List.of();
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
    private double embeddingInitStd = ModelProfile.PROTOCOL.embeddingInitStd();
    private boolean centreFirstLogits = ModelProfile.PROTOCOL.centreFirstLogits();
    private long seed = 0;
    private Precision precision = Precision.processDefault();

    private Builder(ModelKind kind) {
      this.kind = kind;
    }

    public Builder d(int v) {
      d = v;
      return this;
    }

    public Builder heads(int v) {
      heads = v;
      return this;
    }

    public Builder keyDim(int v) {
      keyDim = v;
      return this;
    }

    public Builder valueDim(int v) {
      valueDim = v;
      return this;
    }

    public Builder layers(int v) {
      layers = v;
      return this;
    }

    public Builder pruneLastLayer(boolean v) {
      pruneLastLayer = v;
      return this;
    }

    public Builder rankQ(int v) {
      rankQ = v;
      return this;
    }

    public Builder rankK(int v) {
      rankK = v;
      return this;
    }

    public Builder rankV(int v) {
      rankV = v;
      return this;
    }

    public Builder fullRank(boolean v) {
      fullRank = v;
      return this;
    }

    public Builder ffnActivation(Activation v) {
      ffnActivation = v;
      return this;
    }

    public Builder ffnHidden(int v) {
      ffnHidden = v;
      return this;
    }

    public Builder headHidden(int v) {
      headHidden = v;
      return this;
    }

    public Builder crossLayers(int v) {
      crossLayers = v;
      return this;
    }

    public Builder dcnMlp(int... v) {
      dcnMlp = v.clone();
      return this;
    }

    public Builder denseTokens(int v) {
      denseTokens = v;
      return this;
    }

    public Builder denseHidden(int v) {
      denseHidden = v;
      return this;
    }

    public Builder tasks(int v) {
      tasks = v;
      return this;
    }

    public Builder embeddingInitStd(double v) {
      embeddingInitStd = v;
      return this;
    }

    public Builder centreFirstLogits(boolean v) {
      centreFirstLogits = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** Sets the keys {@code p} names (see {@link ModelProfile}); keys set later win. */
    public Builder profile(ModelProfile p) {
      embeddingInitStd = p.embeddingInitStd();
      centreFirstLogits = p.centreFirstLogits();
      return this;
    }

    /** The arithmetic of the large products (default: {@code -Dhiformer.gemm}, else float). */
    public Builder precision(Precision v) {
      precision = v;
      return this;
    }

    public ModelConfig build() {
      return new ModelConfig(
          kind,
          members,
          d,
          heads,
          keyDim,
          valueDim,
          layers,
          pruneLastLayer,
          rankQ,
          rankK,
          rankV,
          fullRank,
          ffnActivation,
          ffnHidden > 0 ? ffnHidden : 4 * d,
          headHidden,
          crossLayers,
          dcnMlp,
          denseTokens,
          denseHidden,
          tasks,
          embeddingInitStd,
          centreFirstLogits,
          seed,
          precision);
    }
  }
}
