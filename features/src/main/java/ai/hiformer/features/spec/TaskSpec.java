package ai.hiformer.features.spec;

/**
 * One prediction task and where its label comes from.
 *
 * @param threshold when set, {@code y = value >= threshold}; otherwise the column must hold 0 or 1
 */
public record TaskSpec(String name, String column, Double threshold) {}
