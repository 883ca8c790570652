package ai.hiformer.learner.eval;

import java.util.List;

/**
 * The outcome of one model × mode × seed run.
 *
 * @param ne normalised entropy (log-loss over the entropy of the scored rows' positive rate)
 * @param calibration Σp / Σy over the scored rows
 * @param calibrationLast20 the same over the stream's last 20 % (online mode; NaN offline)
 * @param curve progressive (cumulative) AUC after each checkpoint of the stream: {@code [events,
 *     auc, windowAuc, logloss]} rows; online mode only
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
    List<double[]> curve) {
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
        curve);
  }
}
