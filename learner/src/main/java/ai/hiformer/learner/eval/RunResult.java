package ai.hiformer.learner.eval;

import java.util.List;

/**
 * The outcome of one model × mode × seed run.
 *
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
    double examplesPerSecond,
    long examples,
    long skippedSteps,
    int epochs,
    List<double[]> curve) {}
