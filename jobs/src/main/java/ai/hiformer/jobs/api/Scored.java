package ai.hiformer.jobs.api;

import java.util.Map;

/**
 * The score of one event (a Flink POJO): the probability per task from the model version that
 * produced it. {@code modelVersion} counts the model's optimiser steps: the same version scores the
 * same event identically.
 */
public class Scored {
  public String modelId;
  public String requestId;
  public long modelVersion;

  /** Probability per task name. */
  public Map<String, Double> scores;

  public long eventTimeMillis;

  /** Wall-clock time of scoring, epoch milliseconds. */
  public long scoringTimeMillis;

  public Scored() {}

  public Scored(
      String modelId,
      String requestId,
      long modelVersion,
      Map<String, Double> scores,
      long eventTimeMillis,
      long scoringTimeMillis) {
    this.modelId = modelId;
    this.requestId = requestId;
    this.modelVersion = modelVersion;
    this.scores = scores;
    this.eventTimeMillis = eventTimeMillis;
    this.scoringTimeMillis = scoringTimeMillis;
  }

  /**
   * The score of one event from the probabilities a model gave it.
   *
   * @param tasks the task names, in the model's task order
   * @param probs probabilities, read here (the array may be a reused view): the event's are {@code
   *     probs[from, from + tasks.size())}, one per task
   */
  public static Scored of(
      String modelId,
      String requestId,
      long modelVersion,
      java.util.List<String> tasks,
      double[] probs,
      int from,
      long eventTimeMillis,
      long scoringTimeMillis) {
    Map<String, Double> perTask = new java.util.LinkedHashMap<>();
    for (int k = 0; k < tasks.size(); k++) {
      perTask.put(tasks.get(k), probs[from + k]);
    }
    return new Scored(
        modelId, requestId, modelVersion, perTask, eventTimeMillis, scoringTimeMillis);
  }

  @Override
  public String toString() {
    return modelId + "/" + requestId + " v" + modelVersion + " " + scores;
  }
}
