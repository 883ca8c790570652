package ai.hiformer.model;

import ai.hiformer.model.math.Activation;
import ai.hiformer.model.math.Precision;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The text form of a {@link ModelConfig}: its keys, each declared once, and how a configuration is
 * written to and read from {@code key=value} lines (snapshot manifests, state, the job's {@code
 * model.*} keys, {@code evaluate}'s model flags).
 */
public final class ModelConfigKeys {
  private ModelConfigKeys() {}

  /**
   * One key of the configuration's text form, declared once: how its text is read into a builder,
   * how it is written from a configuration, and what it allows. {@link ModelConfig#toProperties()},
   * {@link #fromProperties}, the job's {@code model.*} keys and {@code evaluate}'s model flags all
   * work from {@link #KEYS}.
   */
  public record Key(
      String name,
      String allowed,
      BiConsumer<ModelConfig.Builder, String> read,
      Function<ModelConfig, String> write) {}

  /** Every key, in the order {@link ModelConfig#toProperties()} writes them. */
  public static final List<Key> KEYS =
      List.of(
          new Key(
              "kind",
              "one of "
                  + Arrays.stream(ModelKind.values())
                      .filter(k -> k != ModelKind.BLEND)
                      .map(ModelKind::cliName)
                      .toList()
                  + ", or several joined by '+'",
              (b, v) -> {},
              ModelConfig::name),
          // A starting point, not a field: read before every other key (fromProperties, evaluate),
          // never written (the
          // values it chose are).
          new Key(
              "profile", "protocol, online", (b, v) -> b.profile(ModelProfile.parse(v)), c -> null),
          integer("d", ModelConfig.Builder::d, ModelConfig::d),
          integer("heads", ModelConfig.Builder::heads, ModelConfig::heads),
          integer("key-dim", ModelConfig.Builder::keyDim, ModelConfig::keyDim),
          integer("value-dim", ModelConfig.Builder::valueDim, ModelConfig::valueDim),
          integer("layers", ModelConfig.Builder::layers, ModelConfig::layers),
          bool(
              "prune-last-layer", ModelConfig.Builder::pruneLastLayer, ModelConfig::pruneLastLayer),
          integer("rank-q", ModelConfig.Builder::rankQ, ModelConfig::rankQ),
          integer("rank-k", ModelConfig.Builder::rankK, ModelConfig::rankK),
          integer("rank-v", ModelConfig.Builder::rankV, ModelConfig::rankV),
          bool("full-rank", ModelConfig.Builder::fullRank, ModelConfig::fullRank),
          new Key(
              "ffn-activation",
              "relu, gelu",
              (b, v) -> b.ffnActivation(Activation.valueOf(v.toUpperCase(java.util.Locale.ROOT))),
              c -> c.ffnActivation().name().toLowerCase(java.util.Locale.ROOT)),
          integer("ffn-hidden", ModelConfig.Builder::ffnHidden, ModelConfig::ffnHidden),
          integer("head-hidden", ModelConfig.Builder::headHidden, ModelConfig::headHidden),
          integer("cross-layers", ModelConfig.Builder::crossLayers, ModelConfig::crossLayers),
          new Key(
              "dcn-mlp",
              "comma-separated positive widths",
              (b, v) ->
                  b.dcnMlp(
                      Arrays.stream(v.split(","))
                          .map(String::trim)
                          .mapToInt(Integer::parseInt)
                          .toArray()),
              c ->
                  Arrays.stream(c.dcnMlp())
                      .mapToObj(Integer::toString)
                      .collect(java.util.stream.Collectors.joining(","))),
          integer("dense-tokens", ModelConfig.Builder::denseTokens, ModelConfig::denseTokens),
          integer("dense-hidden", ModelConfig.Builder::denseHidden, ModelConfig::denseHidden),
          integer("tasks", ModelConfig.Builder::tasks, ModelConfig::tasks),
          new Key(
              "embedding-init-std",
              "a number >= 0",
              (b, v) -> b.embeddingInitStd(Double.parseDouble(v)),
              c -> String.valueOf(c.embeddingInitStd())),
          // Written only when true: state written before the key existed started uncentred, and
          // re-encodes unchanged.
          new Key(
              "centre-first-logits",
              "true, false",
              (b, v) -> b.centreFirstLogits(parseBool(v)),
              c -> c.centreFirstLogits() ? "true" : null),
          new Key(
              "seed",
              "an integer",
              (b, v) -> b.seed(Long.parseLong(v)),
              c -> String.valueOf(c.seed())),
          // Written only when double: text without it means float, as every state written before
          // the key had it, so
          // those keep loading, and re-encode, unchanged.
          new Key(
              "precision",
              "float, double",
              (b, v) -> b.precision(Precision.parse(v)),
              c -> c.precision() == Precision.FLOAT ? null : c.precision().cliName()));

  private static Key integer(
      String name,
      java.util.function.ObjIntConsumer<ModelConfig.Builder> set,
      java.util.function.ToIntFunction<ModelConfig> get) {
    return new Key(
        name,
        "an integer",
        (b, v) -> set.accept(b, Integer.parseInt(v)),
        c -> Integer.toString(get.applyAsInt(c)));
  }

  private static Key bool(
      String name,
      BiConsumer<ModelConfig.Builder, Boolean> set,
      java.util.function.Predicate<ModelConfig> get) {
    return new Key(
        name,
        "true, false",
        (b, v) -> set.accept(b, parseBool(v)),
        c -> Boolean.toString(get.test(c)));
  }

  private static boolean parseBool(String v) {
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException();
    }
    return Boolean.parseBoolean(v);
  }

  /** The key called {@code name}, if there is one. */
  public static java.util.Optional<Key> key(String name) {
    return KEYS.stream().filter(k -> k.name().equals(name)).findFirst();
  }

  /** A stable text form, one {@code key=value} per line (snapshot manifests, state). */
  public static String toProperties(ModelConfig config) {
    StringBuilder sb = new StringBuilder();
    for (Key k : KEYS) {
      String v = k.write().apply(config);
      if (v != null) {
        sb.append(k.name()).append('=').append(v).append('\n');
      }
    }
    return sb.toString();
  }

  /**
   * Sets {@code key} from its text on a builder.
   *
   * @throws IllegalArgumentException for an unknown key (listing the known ones) or a text it does
   *     not read
   */
  public static void set(ModelConfig.Builder b, String key, String text) {
    Key k =
        key(key)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "unknown model config key '"
                            + key
                            + "'; allowed: "
                            + KEYS.stream().map(Key::name).toList()));
    try {
      k.read().accept(b, text.trim());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "invalid model config " + key + " = '" + text + "'; allowed: " + k.allowed());
    }
  }

  /**
   * Parses {@link ModelConfig#toProperties()}; an unknown key or bad value fails naming it. Keys
   * the text lacks take the protocol's values (as state written before they existed had them),
   * unless the text names a {@code profile}.
   */
  public static ModelConfig fromProperties(String text) {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            "invalid model config line '" + line + "'; expected key=value");
      }
      m.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
    }
    ModelConfig.Builder b =
        ModelConfig.builder(req(m, "kind")).precision(Precision.FLOAT); // absent: float
    String profile = m.remove("profile");
    if (profile != null) {
      set(b, "profile", profile);
    }
    m.forEach((k, v) -> set(b, k, v));
    return b.build();
  }

  private static String req(java.util.Map<String, String> m, String key) {
    String v = m.get(key);
    if (v == null) {
      throw new IllegalArgumentException("model config lacks '" + key + "'");
    }
    return v;
  }
}
