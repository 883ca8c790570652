package ai.hiformer.jobs.api;

import java.util.Map;

/**
 * The score of one event (a Flink POJO): the probability per task from the model version that produced it.
 * {@code modelVersion} counts the model's optimiser steps: the same version scores the same event identically.
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

  public Scored(String modelId, String requestId, long modelVersion, Map<String, Double> scores, long eventTimeMillis,
      long scoringTimeMillis) {
    this.modelId = modelId;
    this.requestId = requestId;
    this.modelVersion = modelVersion;
    this.scores = scores;
    this.eventTimeMillis = eventTimeMillis;
    this.scoringTimeMillis = scoringTimeMillis;
  }

  @Override
  public String toString() {
    return modelId + "/" + requestId + " v" + modelVersion + " " + scores;
  }
}
