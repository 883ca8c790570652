package ai.hiformer.bench;

import ai.hiformer.model.Batch;
import ai.hiformer.model.CtrModel;
import java.io.IOException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Setup;

/**
 * One training step at batch 256 (forward + loss + backward + Adam + sparse Adagrad),
 * docs/PROTOCOL.md §4. Score = examples per second. FLOPs per example: 3 × 2 × {@link
 * CtrModel#macsPerExample()}.
 */
public class TrainStepBenchmark extends ModelBenchmark {
  static final int BATCH = 256;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    batches = BenchData.batches(dataset, BATCH, 32);
    learner = BenchData.learner(model, batches[0]);
    CtrModel m = learner.model();
    probs = new double[BATCH];
    System.err.printf(
        "%n%s/%s: %,d dense parameters, %,d MACs per example forward (%.0f kFLOP train)%n",
        dataset, model, m.params().count(), m.macsPerExample(), 6.0 * m.macsPerExample() / 1000);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public boolean trainStep() {
    Batch b = nextBatch();
    return learner.predictThenTrain(b, probs);
  }
}
