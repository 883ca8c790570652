package ai.hiformer.learner.eval;

import ai.hiformer.learner.Metrics;
import java.util.List;

/**
 * The outcome of one model × mode × seed run.
 *
 * @param ne normalised entropy (log-loss over the entropy of the scored rows' positive rate)
 * @param calibration Σp / Σy over the scored rows
 * @param calibrationLast20 the same over the stream's last 20 % (online mode; NaN offline)
 * @param curve progressive (cumulative) AUC after each checkpoint of the stream: {@code [events,
 *     auc, windowAuc, logloss]} rows; online mode only
 * @param reliability the predictions by decile: {@code [mean prediction, observed rate, count]}
 *     rows ({@link Metrics#reliability}); online mode only
 */
public record RunResult(
    String model,
    String mode,
    long seed,
    double auc,
    double logLoss,
    double aucLast20,
    double ne,
    double calibration,
    double calibrationLast20,
    double examplesPerSecond,
    long examples,
    long skippedSteps,
    int epochs,
    List<double[]> curve,
    List<double[]> reliability) {
  /**
   * An online run's result from its predictions {@code p} and labels {@code y} over the whole
   * stream, in stream order (the last 20 % from ⌊0.8 n⌋).
   */
  public static RunResult online(
      String model,
      long seed,
      double[] p,
      double[] y,
      double examplesPerSecond,
      long skippedSteps,
      List<double[]> curve) {
    int n = p.length;
    int last20 = (int) Math.floor(0.8 * n);
    return new RunResult(
        model,
        "online",
        seed,
        Metrics.auc(p, y, 0, n),
        Metrics.logLoss(p, y, 0, n),
        Metrics.auc(p, y, last20, n),
        Metrics.normalisedEntropy(p, y, 0, n),
        Metrics.calibration(p, y, 0, n),
        Metrics.calibration(p, y, last20, n),
        examplesPerSecond,
        n,
        skippedSteps,
        1,
        curve,
        Metrics.reliability(p, y, 0, n, 10));
  }

  /** This result under another name (e.g. with the thread count of a comparison run). */
  public RunResult named(String name) {
    return new RunResult(
        name,
        mode,
        seed,
        auc,
        logLoss,
        aucLast20,
        ne,
        calibration,
        calibrationLast20,
        examplesPerSecond,
        examples,
        skippedSteps,
        epochs,
        curve,
        reliability);
  }
}
