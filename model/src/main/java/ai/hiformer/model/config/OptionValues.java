package ai.hiformer.model.config;

import java.io.Serializable;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The values of a fixed set of {@link Option}s, immutable and checked: every value was read by its
 * option when it was set, every required option is set. Held as the values' texts, so that it is
 * serializable as plain strings (Flink ships a job's configuration to its task managers this way)
 * and prints as a properties file.
 */
public final class OptionValues implements Serializable {
  private static final long serialVersionUID = 1L;

  private final TreeMap<String, String> texts;
  // Values read once: get() is called on per-event paths.
  private transient java.util.concurrent.ConcurrentHashMap<String, Object> parsed;

  private OptionValues(TreeMap<String, String> texts) {
    this.texts = texts;
  }

  /** The value of {@code option}: its default when not set (null for an unset optional one). */
  @SuppressWarnings("unchecked")
  public <T> T get(Option<T> option) {
    String t = texts.get(option.key());
    if (t == null) {
      return option.defaultValue();
    }
    if (parsed == null) {
      parsed = new java.util.concurrent.ConcurrentHashMap<>();
    }
    return (T) parsed.computeIfAbsent(option.key(), k -> option.parse(t));
  }

  /** Whether {@code option} was set explicitly. */
  public boolean isSet(Option<?> option) {
    return texts.containsKey(option.key());
  }

  /** The values of just {@code options} (which must be among this set's). */
  public OptionValues restrictedTo(Collection<Option<?>> options) {
    TreeMap<String, String> t = new TreeMap<>();
    for (Option<?> o : options) {
      if (texts.containsKey(o.key())) {
        t.put(o.key(), texts.get(o.key()));
      }
    }
    return new OptionValues(t);
  }

  /** Every key set explicitly, with its text. */
  public Map<String, String> texts() {
    return new LinkedHashMap<>(texts);
  }

  public static Builder builder(Collection<Option<?>> options) {
    return new Builder(options);
  }

  /**
   * Collects values for a known set of options; {@link #build()} checks that the required ones are
   * set.
   */
  public static final class Builder {
    private final Map<String, Option<?>> known = new LinkedHashMap<>();
    private final TreeMap<String, String> texts = new TreeMap<>();

    private Builder(Collection<Option<?>> options) {
      for (Option<?> o : options) {
        if (known.put(o.key(), o) != null) {
          throw new IllegalStateException("option " + o.key() + " is declared twice");
        }
      }
    }

    /** Sets a value (null: back to the default). */
    public <T> Builder set(Option<T> option, T value) {
      check(option.key());
      if (value == null) {
        texts.remove(option.key());
      } else {
        texts.put(option.key(), option.format(value));
      }
      return this;
    }

    /**
     * Sets a value from its text, as a properties file or a command line gives it.
     *
     * @throws IllegalArgumentException for an unknown key (listing the known ones) or a value it
     *     does not allow
     */
    public Builder setText(String key, String text) {
      check(key);
      Option<?> o = known.get(key);
      o.parse(text); // fails now, naming the key
      texts.put(key, text.trim());
      return this;
    }

    public boolean knows(String key) {
      return known.containsKey(key);
    }

    private void check(String key) {
      if (!known.containsKey(key)) {
        throw new IllegalArgumentException(
            "unknown key '" + key + "'; allowed: " + new java.util.TreeSet<>(known.keySet()));
      }
    }

    public OptionValues build() {
      for (Option<?> o : known.values()) {
        if (o.required() && !texts.containsKey(o.key())) {
          throw new IllegalArgumentException("missing " + o.key() + "; allowed: " + o.allowed());
        }
      }
      return new OptionValues(new TreeMap<>(texts));
    }
  }

  /** The keys of {@code options}, for messages and listings. */
  public static List<String> keys(Collection<Option<?>> options) {
    return options.stream().map(Option::key).toList();
  }
}
