package ai.hiformer.bench;

import ai.hiformer.model.Batch;
import java.io.IOException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Scoring (forward + sigmoid) at batch 1 and 256, docs/PROTOCOL.md §4. Score = batches per second;
 * examples/s is that times the batch size, latency per batch its inverse.
 */
public class ScoreBenchmark extends ModelBenchmark {
  @Param({"1", "256"})
  public int batchSize;

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
    Batch b = nextBatch();
    learner.predict(b, probs);
    return probs[0];
  }
}
