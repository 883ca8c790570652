package ai.hiformer.model.config;

import java.util.Collection;

/**
 * The setters every builder of a configuration made of {@link Option}s shares: values by option,
 * from text, and ints for {@code long} options. {@code B} is the concrete builder, so that calls
 * chain.
 *
 * @param <B> the subclass
 */
public abstract class OptionsBuilder<B extends OptionsBuilder<B>> {
  protected final OptionValues.Builder values;

  protected OptionsBuilder(Collection<Option<?>> options) {
    values = OptionValues.builder(options);
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  public <T> B set(Option<T> option, T value) {
    values.set(option, value);
    return self();
  }

  /** For a duration or a count given as an {@code int}. */
  public B set(Option<Long> option, long value) {
    return set(option, Long.valueOf(value));
  }

  /** Sets an option from its text, as a properties file or a command line gives it. */
  public B setText(String key, String text) {
    values.setText(key, text);
    return self();
  }
}
