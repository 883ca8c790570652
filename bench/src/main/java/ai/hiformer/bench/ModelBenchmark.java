package ai.hiformer.bench;

import ai.hiformer.model.Batch;
import ai.hiformer.model.train.Learner;
import org.openjdk.jmh.annotations.Param;

/**
 * What the model benchmarks share: the dataset and model parameters, the run settings of {@link
 * RunSettings}, and a learner cycling through prepared batches.
 */
public abstract class ModelBenchmark extends RunSettings {
  @Param({"movielens", "criteo"})
  public String dataset;

  @Param({"hiformer", "dcnv2"})
  public String model;

  protected Learner learner;
  protected Batch[] batches;
  protected double[] probs;
  private int next;

  /** The next prepared batch, round robin. */
  protected Batch nextBatch() {
    Batch b = batches[next];
    next = (next + 1) % batches.length;
    return b;
  }
}
