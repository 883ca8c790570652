package ai.hiformer.bench;

import ai.hiformer.model.Batch;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.train.Learner;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step at batch 256 (forward + loss + backward + Adam + sparse Adagrad), docs/PROTOCOL.md §4.
 * Score = examples per second. FLOPs per example: 3 × 2 × {@link CtrModel#macsPerExample()}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Xms4g"})
public class TrainStepBenchmark {
  static final int BATCH = 256;

  @Param({"movielens", "criteo"})
  public String dataset;

  @Param({"hiformer", "dcnv2"})
  public String model;

  private Learner learner;
  private Batch[] batches;
  private double[] probs;
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    batches = BenchData.batches(dataset, BATCH, 32);
    learner = BenchData.learner(model, batches[0]);
    CtrModel m = learner.model();
    probs = new double[BATCH];
    System.err.printf("%n%s/%s: %,d dense parameters, %,d MACs per example forward (%.0f kFLOP train)%n", dataset,
        model, m.params().count(), m.macsPerExample(), 6.0 * m.macsPerExample() / 1000);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public boolean trainStep() {
    Batch b = batches[next];
    next = (next + 1) % batches.length;
    return learner.predictThenTrain(b, probs);
  }
}
