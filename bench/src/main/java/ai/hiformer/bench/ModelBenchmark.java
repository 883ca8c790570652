package ai.hiformer.bench;

import ai.hiformer.model.Batch;
import ai.hiformer.model.train.Learner;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the model benchmarks share: the dataset and model parameters, the run settings (throughput,
 * 3 × 2 s warm-up, 5 × 2 s measured, one fork with a fixed 4 GB heap), and a learner cycling
 * through prepared batches.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g", "-Xms4g"})
public abstract class ModelBenchmark {
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
