package ai.hiformer.model;

import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.ParamStore;
import java.util.List;

/**
 * What every network here shares: its configuration and input layout, its dense parameters, and the
 * feature tokens (embedding tables, numeric tokens) that it reads first.
 */
abstract class TokenModel implements CtrModel {
  protected final ModelConfig config;
  protected final InputLayout layout;
  protected final ParamStore store;
  protected final TokenEmbedding tokens;

  /**
   * @param tokenDim width of each feature token (d, or the task count for logistic regression)
   * @param initStd standard deviation of new embedding rows (0: start at zero)
   */
  TokenModel(ModelConfig config, InputLayout layout, int tokenDim, double initStd) {
    this.config = config;
    this.layout = layout;
    this.store = new ParamStore(config.precision());
    this.tokens =
        new TokenEmbedding(
            store,
            layout,
            tokenDim,
            config.denseTokens(),
            config.denseHidden(),
            initStd,
            config.seed());
  }

  @Override
  public final ModelConfig config() {
    return config;
  }

  @Override
  public final InputLayout layout() {
    return layout;
  }

  @Override
  public final ParamStore params() {
    return store;
  }

  @Override
  public final CtrModel readOnlyReplica(ai.hiformer.model.math.Precision precision) {
    TokenModel replica =
        (TokenModel) Models.create(config.toBuilder().precision(precision).build(), layout);
    replica.store.shareValuesOf(store);
    replica.tokens.shareTablesOf(tokens);
    return replica;
  }

  @Override
  public final CtrModel trainingReplica() {
    TokenModel replica = (TokenModel) Models.create(config, layout);
    replica.store.shareValuesOf(store);
    replica.tokens.shareTablesOf(tokens);
    replica.tokens.keepOwnGradients();
    return replica;
  }

  @Override
  public final ai.hiformer.model.nn.GradientSlots ownRowGradients(int table) {
    return tokens.ownGradients(table);
  }

  /** Adds delta[k] to element k of a per-task output bias (for {@link #shiftLogits}). */
  static void addTo(ai.hiformer.model.nn.Param bias, double[] delta) {
    double[] b = bias.value();
    for (int k = 0; k < b.length; k++) {
      b[k] += delta[k];
    }
  }

  @Override
  public final List<EmbeddingTable> tables() {
    return tokens.tables();
  }
}
