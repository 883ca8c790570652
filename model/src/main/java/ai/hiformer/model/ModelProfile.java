package ai.hiformer.model;

/**
 * Named starting points for a builder. Each sets only the keys it names; keys set after it win.
 *
 * <ul>
 *   <li>{@code protocol}: docs/PROTOCOL.md's configuration, as the reference implementation runs it
 *       (embedding rows N(0, 0.01²), first logits as the initial weights give them).
 *   <li>{@code online}: the protocol's network, started so that it learns from the first batch
 *       whatever the seed: {@code centre-first-logits=true}, {@code embedding-init-std=0.02}.
 * </ul>
 */
public enum ModelProfile {
  PROTOCOL(0.01, false),
  ONLINE(0.02, true);

  private final double embeddingInitStd;
  private final boolean centreFirstLogits;

  ModelProfile(double embeddingInitStd, boolean centreFirstLogits) {
    this.embeddingInitStd = embeddingInitStd;
    this.centreFirstLogits = centreFirstLogits;
  }

  /** The standard deviation of a new embedding row's values. */
  double embeddingInitStd() {
    return embeddingInitStd;
  }

  /** Whether a new model centres its first logits. */
  boolean centreFirstLogits() {
    return centreFirstLogits;
  }

  public String cliName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static ModelProfile parse(String text) {
    for (ModelProfile p : values()) {
      if (p.cliName().equals(text)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "invalid model.profile = '" + text + "'; allowed: protocol, online");
  }
}
