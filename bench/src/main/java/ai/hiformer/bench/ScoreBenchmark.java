package ai.hiformer.bench;

import ai.hiformer.model.Batch;
import ai.hiformer.model.train.Learner;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scoring (forward + sigmoid) at batch 1 and 256, docs/PROTOCOL.md §4. Score = batches per second; examples/s
 * is that times the batch size, latency per batch its inverse.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Xms4g"})
public class ScoreBenchmark {
  @Param({"movielens", "criteo"})
  public String dataset;

  @Param({"hiformer", "dcnv2"})
  public String model;

  @Param({"1", "256"})
  public int batchSize;

  private Learner learner;
  private Batch[] batches;
  private double[] probs;
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    batches = BenchData.batches(dataset, batchSize, 64);
    learner = BenchData.learner(model, batches[0]);
    probs = new double[batchSize];
    // Materialise the rows the batches use, as a trained model would have them.
    for (Batch b : batches) {
      learner.predict(b, probs);
    }
  }

  @Benchmark
  public double score() {
    Batch b = batches[next];
    next = (next + 1) % batches.length;
    learner.predict(b, probs);
    return probs[0];
  }
}
