package ai.hiformer.jobs.api;

import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.config.Option;
import ai.hiformer.model.config.OptionsBuilder;
import java.util.Collection;

/**
 * A builder of options that also needs the model configuration (the job's and the learner's).
 *
 * @param <B> the subclass
 */
public abstract class ModelOptionsBuilder<B extends ModelOptionsBuilder<B>>
    extends OptionsBuilder<B> {
  private ModelConfig modelConfig;

  protected ModelOptionsBuilder(Collection<Option<?>> options) {
    super(options);
  }

  /** The network to learn (its {@code model.*} keys). */
  @SuppressWarnings("unchecked")
  public B modelConfig(ModelConfig v) {
    modelConfig = v;
    return (B) this;
  }

  /** The model configuration; fails naming it when none was given. */
  protected ModelConfig requireModelConfig() {
    if (modelConfig == null) {
      throw new IllegalArgumentException("missing model configuration (model.*)");
    }
    return modelConfig;
  }
}
