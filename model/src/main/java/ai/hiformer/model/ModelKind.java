package ai.hiformer.model;

import java.util.Arrays;
import java.util.Locale;

/** The networks the project implements: Hiformer and the baselines the paper compares it with. */
public enum ModelKind {
  /**
   * Hiformer: composite (low-rank) query/key/value projections, token-specific tails (paper §5).
   */
  HIFORMER("hiformer"),
  /** Heterogeneous attention: token-specific Q/K/V/O and FFN (paper §4). */
  HETERO_ATT("heteroatt"),
  /** Vanilla Transformer with task tokens: every projection shared by all tokens. */
  TRANSFORMER("transformer"),
  /** AutoInt: one shared-projection attention layer with a residual projection, no task token. */
  AUTOINT("autoint"),
  /** DCN-v2, parallel: full-rank cross network beside an MLP. */
  DCNV2("dcnv2"),
  /** Logistic regression: one weight per feature value. */
  LR("lr"),
  /**
   * Several of the kinds above learning side by side, scored through a stacker learnt online
   * ({@link BlendModel}); written as its members joined by '+', e.g. {@code hiformer+dcnv2+lr}.
   */
  BLEND("blend");

  private final String cliName;

  ModelKind(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  /** A single kind by its name; a blend is parsed by {@link ModelConfig#builder(String)}. */
  public static ModelKind parse(String s) {
    for (ModelKind k : values()) {
      if (k != BLEND && k.cliName.equals(s.toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "unknown model '"
            + s
            + "'; allowed: "
            + Arrays.stream(values()).filter(k -> k != BLEND).map(ModelKind::cliName).toList()
            + ", or several joined by '+' (a blend, e.g. hiformer+dcnv2+lr)");
  }
}
