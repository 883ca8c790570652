package ai.hiformer.bench;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.optim.OptimizerConfig;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The state head a learner writes at every checkpoint (dense weights, optimiser moments, the
 * encoder's head, counters; not the embedding rows): {@link ModelRuntime#headBytes()} for the
 * shipped MovieLens and Criteo specs at the job's default model (Hiformer, d = 16). Score = heads
 * per second; the job writes one per model per checkpoint, on the learner's thread. Run with the
 * job's collector ({@code -jvmArgsAppend -XX:+UseZGC}) to count the page faults of fresh arrays.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g", "-Xms4g"})
public class StateHeadBenchmark {
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
