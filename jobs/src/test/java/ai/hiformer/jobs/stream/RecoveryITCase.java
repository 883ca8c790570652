package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.embedded.EmbeddedKafka;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure injected mid-stream (the job restarts from its last checkpoint): no score is lost or
 * duplicated, and, since the examples' order is fixed by the input (labels in the events, each model's
 * events in one partition), the models end byte-identical to an uninterrupted run.
 */
class RecoveryITCase {
  private static final String SPEC = """
      {"name": "synthetic", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";
  private static final int PER_MODEL = 1100;

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static EmbeddedKafka kafka;

  @TempDir
  static Path tmp;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = new EmbeddedKafka();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  @Test
  void aRestartFromTheLastCheckpointLosesAndDuplicatesNothingAndEndsWithTheSameModel() throws Exception {
    List<byte[]> values = new ArrayList<>();
    List<byte[]> keys = new ArrayList<>();
    WireCodec<Event> codec = WireCodec.events();
    SplittableRandom rng = new SplittableRandom(9);
    for (int i = 0; i < PER_MODEL * 2; i++) {
      String model = i % 2 == 0 ? "m-a" : "m-b";
      int user = rng.nextInt(80);
      int item = rng.nextInt(40);
      values.add(codec.encode(Event.newBuilder().setRequestId("r" + i).setModelId(model)
          .setEventTime(Instant.ofEpochSecond(1_700_000_000L + i))
          .setCategorical(Map.of("user", "u" + user, "item", "i" + item))
          .setNumeric(Map.of("price", (double) rng.nextInt(50)))
          .setLabels(Map.of("click", (user * item) % 5 < 2 ? 1.0 : 0.0)).build()));
      keys.add(model.getBytes(StandardCharsets.UTF_8));
    }

    Path clean = run("clean", keys, values, 0);
    Path failed = run("failed", keys, values, 700);

    for (String model : List.of("m-a", "m-b")) {
      long finalVersion = PER_MODEL / 256; // full micro-batches
      List<Path> versions;
      try (var s = Files.list(clean.resolve(model))) {
        versions = s.sorted().toList();
      }
      assertThat(versions).as("every 256 examples a snapshot").hasSize((int) finalVersion);
      Path a = ModelSnapshot.directory(clean, model, finalVersion);
      Path b = ModelSnapshot.directory(failed, model, finalVersion);
      assertThat(Files.readAllBytes(b.resolve("learner.bin"))).as("learner of %s", model)
          .isEqualTo(Files.readAllBytes(a.resolve("learner.bin")));
      // Snapshots are captured right after the micro-batch that makes them due, so the encoder's state
      // (vocabularies, statistics, stream position) is the same too.
      assertThat(Files.readAllBytes(b.resolve("encoder.bin"))).as("encoder of %s", model)
          .isEqualTo(Files.readAllBytes(a.resolve("encoder.bin")));
    }
  }

  /** Runs the job over the events until every event is scored and final snapshots exist; returns the snapshot folder. */
  private Path run(String name, List<byte[]> keys, List<byte[]> values, long failAfter) throws Exception {
    String events = name + "-events";
    String scores = name + "-scores";
    kafka.createTopics(2, events, scores, name + "-dlq", name + "-labels");
    Path snapshots = tmp.resolve(name + "-snapshots");
    JobConfig config = JobConfig.builder().bootstrapServers(kafka.bootstrapServers())
        .eventsTopic(events).labelsTopic(name + "-labels").scoresTopic(scores).deadLetterTopic(name + "-dlq").groupId(name)
        .transactionalIdPrefix(name).modelIds(Set.of("m-a", "m-b")).specJson(SPEC)
        .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).seed(1).build())
        .parallelism(2).checkpointIntervalMillis(300).flushIdleMillis(600_000)
        .snapshotDir(snapshots.toString()).snapshotEveryExamples(256)
        .failOnceAfterRecords(failAfter)
        .checkpointDir(tmp.resolve(name + "-checkpoints").toUri().toString()).rocksDbLocalDir("/tmp/hiformer-rocksdb")
        .build();
    Configuration conf = StreamingJob.flinkConfiguration(config);
    // Restart quickly: the job's default exponential back-off would only slow the test down.
    conf.setString("restart-strategy.type", "fixed-delay");
    conf.setString("restart-strategy.fixed-delay.attempts", "3");
    conf.setString("restart-strategy.fixed-delay.delay", "200ms");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(2);
    StreamingJob.build(env, config);
    JobClient job = env.executeAsync(name);
    try {
      // Produce half, let a checkpoint complete, then the rest: the drill fails after a checkpoint.
      int half = values.size() / 2;
      kafka.produce(events, keys.subList(0, half), values.subList(0, half));
      waitFor(() -> hasAnySnapshot(snapshots), Duration.ofSeconds(60), "a first snapshot");
      kafka.produce(events, keys.subList(half, values.size()), values.subList(half, values.size()));
      long finalVersion = PER_MODEL / 256;
      waitFor(() -> Files.isDirectory(ModelSnapshot.directory(snapshots, "m-a", finalVersion))
          && Files.isDirectory(ModelSnapshot.directory(snapshots, "m-b", finalVersion)), Duration.ofSeconds(120),
          "final snapshots");
      WireCodec<Score> codec = WireCodec.scores();
      Map<String, Integer> count = new HashMap<>();
      long deadline = System.currentTimeMillis() + 60_000;
      while (count.size() < values.size() && System.currentTimeMillis() < deadline) {
        count.clear();
        for (byte[] b : kafka.readCommitted(scores, Duration.ofSeconds(2))) {
          count.merge(codec.decode(b).getRequestId(), 1, Integer::sum);
        }
      }
      assertThat(count).as("%s: events scored", name).hasSize(values.size());
      assertThat(count.values()).as("%s: scores per event", name).allMatch(c -> c == 1);
    } finally {
      job.cancel().get();
    }
    return snapshots;
  }

  private static boolean hasAnySnapshot(Path dir) {
    try (var s = Files.walk(dir)) {
      return s.anyMatch(p -> p.getFileName().toString().equals(ModelSnapshot.MANIFEST));
    } catch (Exception e) {
      return false;
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout, String what)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeout.toMillis();
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }
}
