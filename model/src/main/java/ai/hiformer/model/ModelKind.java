package ai.hiformer.model;

import java.util.Arrays;
import java.util.Locale;

/** The networks the project implements: Hiformer and the baselines the paper compares it with. */
public enum ModelKind {
  /** Hiformer: composite (low-rank) query/key/value projections, token-specific tails (paper §5). */
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
  LR("lr");

  private final String cliName;

  ModelKind(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public static ModelKind parse(String s) {
    for (ModelKind k : values()) {
      if (k.cliName.equals(s.toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown model '" + s + "'; allowed: "
        + Arrays.stream(values()).map(ModelKind::cliName).toList());
  }
}
