package ai.hiformer.model.optim;

/**
 * Learning rates and constants of the two optimiser groups. Defaults are the protocol's canonical
 * choice (docs/PROTOCOL.md §3.1): dense Adam lr 1e-3, β = (0.9, 0.999), ε 1e-8; embedding rows
 * sparse Adagrad lr 0.05, ε 1e-10.
 */
public record OptimizerConfig(
    double denseLr,
    double beta1,
    double beta2,
    double adamEps,
    double embeddingLr,
    double adagradEps) {
  public OptimizerConfig {
    check(denseLr > 0 && Double.isFinite(denseLr), "optimizer.dense-lr", denseLr, "finite and > 0");
    check(beta1 >= 0 && beta1 < 1, "optimizer.beta1", beta1, "[0, 1)");
    check(beta2 >= 0 && beta2 < 1, "optimizer.beta2", beta2, "[0, 1)");
    check(adamEps > 0, "optimizer.adam-eps", adamEps, "> 0");
    check(
        embeddingLr > 0 && Double.isFinite(embeddingLr),
        "optimizer.embedding-lr",
        embeddingLr,
        "finite and > 0");
    check(adagradEps > 0, "optimizer.adagrad-eps", adagradEps, "> 0");
  }

  public static OptimizerConfig defaults() {
    return new OptimizerConfig(1e-3, 0.9, 0.999, 1e-8, 0.05, 1e-10);
  }

  public OptimizerConfig withDenseLr(double lr) {
    return new OptimizerConfig(lr, beta1, beta2, adamEps, embeddingLr, adagradEps);
  }

  public OptimizerConfig withEmbeddingLr(double lr) {
    return new OptimizerConfig(denseLr, beta1, beta2, adamEps, lr, adagradEps);
  }

  private static void check(boolean ok, String key, double value, String allowed) {
    if (!ok) {
      throw new IllegalArgumentException(
          "invalid " + key + " = " + value + "; allowed: " + allowed);
    }
  }
}
