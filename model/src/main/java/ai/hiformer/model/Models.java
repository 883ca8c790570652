package ai.hiformer.model;

/** Builds the network a configuration names. */
public final class Models {
  private Models() {}

  public static CtrModel create(ModelConfig config, InputLayout layout) {
    return switch (config.kind()) {
      case HIFORMER, HETERO_ATT, TRANSFORMER -> new TransformerModel(config, layout);
      case AUTOINT -> new AutoIntModel(config, layout);
      case DCNV2 -> new Dcnv2Model(config, layout);
      case LR -> new LogisticRegressionModel(config, layout);
      case BLEND -> new BlendModel(config, layout);
    };
  }
}
