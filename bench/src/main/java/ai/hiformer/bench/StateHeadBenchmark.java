package ai.hiformer.bench;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.optim.OptimizerConfig;
import java.io.IOException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The state head a learner writes at every checkpoint (dense weights, optimiser moments, the
 * encoder's head, counters; not the embedding rows): {@link ModelRuntime#headBytes()} for the
 * shipped MovieLens and Criteo specs at the job's default model (Hiformer, d = 16). Score = heads
 * per second; the job writes one per model per checkpoint, on the learner's thread. Run with the
 * job's collector ({@code -jvmArgsAppend -XX:+UseZGC}) to count the page faults of fresh arrays.
 */
public class StateHeadBenchmark extends RunSettings {
  @Param({"movielens", "criteo"})
  public String dataset;

  private ModelRuntime runtime;

  @Setup
  public void setUp() throws IOException {
    FeatureSpec spec = FeatureSpec.load(BenchData.findSpecs().resolve(dataset + ".json"));
    runtime =
        new ModelRuntime(
            spec, ModelConfig.builder("hiformer").d(16).build(), OptimizerConfig.defaults(), 256);
  }

  @Benchmark
  public int headBytes() {
    return runtime.headBytes().length;
  }
}
