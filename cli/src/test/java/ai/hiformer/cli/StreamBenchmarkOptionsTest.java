package ai.hiformer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.cli.stream.BenchmarkHooks;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code benchmark-stream}'s experiments are flags: repeatable KEY=VALUE settings per kind that
 * reach {@link BenchmarkHooks}, over the system properties of the same names, and a usage error for
 * a setting without a value.
 */
class StreamBenchmarkOptionsTest {
  @AfterEach
  void reset() {
    System.clearProperty("hiformer.bench.job.learn.threads");
    StreamBenchmarkOptions.configureExperiments(options());
  }

  private static Options options(String... args) {
    return new Options(
        "benchmark-stream", args, 0, StreamBenchmarkOptions.VALUED, StreamBenchmarkOptions.FLAGS);
  }

  @Test
  void repeatedFlagsSetEveryKeyOfTheirKind() {
    StreamBenchmarkOptions.configureExperiments(
        options(
            "--job",
            "learn.parallelism=2",
            "--job=job.parallelism=2",
            "--flink",
            "taskmanager.numberOfTaskSlots=4",
            "--kafka",
            "num.io.threads=2",
            "--trace",
            "/tmp/t",
            "--stop-learner"));
    assertThat(BenchmarkHooks.experiments("job"))
        .isEqualTo(Map.of("learn.parallelism", "2", "job.parallelism", "2"));
    assertThat(BenchmarkHooks.experiments("flink"))
        .isEqualTo(Map.of("taskmanager.numberOfTaskSlots", "4"));
    assertThat(BenchmarkHooks.experiments("kafka")).isEqualTo(Map.of("num.io.threads", "2"));
    assertThat(BenchmarkHooks.experiments("learner")).isEmpty();
    assertThat(BenchmarkHooks.trace()).isEqualTo("/tmp/t");
    assertThat(BenchmarkHooks.stopLearner()).isTrue();
    StreamBenchmarkOptions.configureExperiments(options());
    assertThat(BenchmarkHooks.experiments("job")).as("set again: replaced").isEmpty();
    assertThat(BenchmarkHooks.trace()).isNull();
    assertThat(BenchmarkHooks.stopLearner()).isFalse();
  }

  @Test
  void aFlagWinsOverTheSystemPropertyOfItsName() {
    System.setProperty("hiformer.bench.job.learn.threads", "1");
    StreamBenchmarkOptions.configureExperiments(options());
    assertThat(BenchmarkHooks.experiments("job")).containsEntry("learn.threads", "1");
    StreamBenchmarkOptions.configureExperiments(options("--job", "learn.threads=2"));
    assertThat(BenchmarkHooks.experiments("job")).containsEntry("learn.threads", "2");
  }

  @Test
  void aSettingWithoutAValueIsAUsageErrorNamingTheFlag() {
    assertThatThrownBy(
            () ->
                StreamBenchmarkOptions.configureExperiments(options("--learner", "learn.threads")))
        .isInstanceOf(Options.UsageException.class)
        .hasMessageContaining("--learner")
        .hasMessageContaining("KEY=VALUE");
  }
}
