package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.math.Blas;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A failure injected mid-stream (the job restarts from its last checkpoint): no score is lost or
 * duplicated, and, since the examples' order is fixed by the input (labels in the events, each
 * model's events in one partition), the interrupted run gives every score value and every snapshot
 * of an uninterrupted run. The test first proves, through the job's REST API, that the failure
 * happened and that the job restored a checkpoint: without that the "failed" run would be a second
 * clean run.
 */
class RecoveryITCase {
  private static final String SPEC =
      """
      {"name": "synthetic", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";
  private static final int PER_MODEL = 1100;

  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(2);

  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  @TempDir static Path tmp;

  /**
   * Scored by the learner (0): every score value is the clean run's too. Scored by two replica
   * subtasks (2): a score's value depends on when its replica got the learner's update, so only the
   * learner's state is compared.
   */
  @ParameterizedTest(name = "scoring.parallelism = {0}")
  @ValueSource(ints = {0, 2})
  void aRestartFromTheLastCheckpointLosesAndDuplicatesNothingAndEndsWithTheSameModel(int scoring)
      throws Exception {
    assertThat(Blas.floatProducts())
        .as("the production arithmetic (float products on OpenBLAS)")
        .isTrue();
    List<byte[]> values = new ArrayList<>();
    List<byte[]> keys = new ArrayList<>();
    WireCodec<Event> codec = WireCodec.events();
    SplittableRandom rng = new SplittableRandom(9);
    for (int i = 0; i < PER_MODEL * 2; i++) {
      String model = i % 2 == 0 ? "m-a" : "m-b";
      int user = rng.nextInt(80);
      int item = rng.nextInt(40);
      values.add(
          codec.encode(
              Event.newBuilder()
                  .setRequestId("r" + i)
                  .setModelId(model)
                  .setEventTime(Instant.ofEpochSecond(1_700_000_000L + i))
                  .setCategorical(Map.of("user", "u" + user, "item", "i" + item))
                  .setNumeric(Map.of("price", (double) rng.nextInt(50)))
                  .setLabels(Map.of("click", (user * item) % 5 < 2 ? 1.0 : 0.0))
                  .build()));
      keys.add(model.getBytes(StandardCharsets.UTF_8));
    }

    Run clean = run("clean" + scoring, keys, values, 0, scoring);
    Run failed = run("failed" + scoring, keys, values, 700, scoring);

    assertThat(clean.failures).as("the clean run's failures").isEmpty();
    assertThat(clean.restoredCheckpoints).as("the clean run's restores").isZero();
    assertThat(failed.failures)
        .as("the drill's failure, in the job's exception history")
        .isNotEmpty()
        .allMatch(f -> f.contains("failure drill"));
    assertThat(failed.restoredCheckpoints)
        .as("checkpoints restored by the failed run")
        .isGreaterThanOrEqualTo(1);
    assertThat(failed.restoredCheckpointId)
        .as("the restored checkpoint (not a restart from scratch)")
        .isGreaterThanOrEqualTo(1);

    assertThat(failed.scores.keySet()).isEqualTo(clean.scores.keySet());
    for (Map.Entry<String, Score> e :
        scoring > 0 ? Map.<String, Score>of().entrySet() : clean.scores.entrySet()) {
      Score a = e.getValue();
      Score b = failed.scores.get(e.getKey());
      assertThat(b.getModelVersion())
          .as("model version of the score of %s", e.getKey())
          .isEqualTo(a.getModelVersion());
      assertThat(b.getScores()).as("score of %s", e.getKey()).isEqualTo(a.getScores());
    }

    for (String model : List.of("m-a", "m-b")) {
      long finalVersion = PER_MODEL / 256; // full micro-batches
      List<String> versions = versions(clean.snapshots.resolve(model));
      assertThat(versions).as("every 256 examples a snapshot").hasSize((int) finalVersion);
      assertThat(versions(failed.snapshots.resolve(model)))
          .as("snapshot versions of %s", model)
          .isEqualTo(versions);
      for (String version : versions) {
        Path a = clean.snapshots.resolve(model).resolve(version);
        Path b = failed.snapshots.resolve(model).resolve(version);
        assertThat(Files.readAllBytes(b.resolve("learner.bin")))
            .as("learner of %s %s", model, version)
            .isEqualTo(Files.readAllBytes(a.resolve("learner.bin")));
        // Snapshots are captured right after the micro-batch that makes them due, so the encoder's
        // state
        // (vocabularies, statistics, stream position) is the same too.
        assertThat(Files.readAllBytes(b.resolve("encoder.bin")))
            .as("encoder of %s %s", model, version)
            .isEqualTo(Files.readAllBytes(a.resolve("encoder.bin")));
        assertThat(manifestWithoutCheckpointId(b))
            .as("manifest of %s %s (metrics, position)", model, version)
            .isEqualTo(manifestWithoutCheckpointId(a));
      }
    }
  }

  /**
   * What one run left: its scores by request id, its snapshot folder, and what the job's REST API
   * said.
   */
  private record Run(
      Map<String, Score> scores,
      Path snapshots,
      List<String> failures,
      long restoredCheckpoints,
      long restoredCheckpointId) {}

  private static List<String> versions(Path modelDir) throws Exception {
    try (var s = Files.list(modelDir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("v"))
          .sorted()
          .toList();
    }
  }

  /**
   * A snapshot's manifest without the checkpoint id, which a restarted job legitimately numbers on.
   */
  private static JsonNode manifestWithoutCheckpointId(Path dir) throws Exception {
    ObjectNode m = (ObjectNode) JSON.readTree(dir.resolve(ModelSnapshot.MANIFEST).toFile());
    ((ObjectNode) m.path("position")).remove("checkpoint_id");
    return m;
  }

  /** Runs the job over the events until every event is scored and final snapshots exist. */
  private Run run(String name, List<byte[]> keys, List<byte[]> values, long failAfter, int scoring)
      throws Exception {
    String events = name + "-events";
    String scores = name + "-scores";
    KAFKA.get().createTopics(2, events, scores, name + "-dlq", name + "-labels");
    Path snapshots = tmp.resolve(name + "-snapshots");
    JobConfig config =
        JobTestKit.config(KAFKA.get().bootstrapServers(), tmp.resolve(name), "m-a", "m-b")
            .set(JobConfig.EVENTS_TOPIC, events)
            .set(JobConfig.LABELS_TOPIC, name + "-labels")
            .set(JobConfig.SCORES_TOPIC, scores)
            .set(JobConfig.DEAD_LETTER_TOPIC, name + "-dlq")
            .set(JobConfig.GROUP_ID, name)
            .set(JobConfig.TRANSACTIONAL_ID_PREFIX, name)
            .set(LearnerOptions.FEATURE_SPEC, SPEC)
            .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).seed(1).build())
            .set(JobConfig.PARALLELISM, 2)
            .set(LearnerOptions.SNAPSHOT_DIR, snapshots.toString())
            .set(LearnerOptions.SNAPSHOT_KEEP, 100)
            .set(JobConfig.FAIL_ONCE_AFTER_RECORDS, failAfter)
            .set(LearnerOptions.SCORING_PARALLELISM, scoring)
            .set(LearnerOptions.UPDATES_INTERVAL_MS, scoring > 0 ? 200L : 0L)
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
      KAFKA.get().produce(events, keys.subList(0, half), values.subList(0, half));
      waitFor(() -> hasAnySnapshot(snapshots), Duration.ofSeconds(60), "a first snapshot");
      KAFKA
          .get()
          .produce(events, keys.subList(half, values.size()), values.subList(half, values.size()));
      long finalVersion = PER_MODEL / 256;
      waitFor(
          () ->
              Files.isDirectory(ModelSnapshot.directory(snapshots, "m-a", finalVersion))
                  && Files.isDirectory(ModelSnapshot.directory(snapshots, "m-b", finalVersion)),
          Duration.ofSeconds(120),
          "final snapshots");
      WireCodec<Score> codec = WireCodec.scores();
      Map<String, Integer> count = new HashMap<>();
      Map<String, Score> byRequest = new HashMap<>();
      long deadline = System.currentTimeMillis() + 60_000;
      while (count.size() < values.size() && System.currentTimeMillis() < deadline) {
        count.clear();
        byRequest.clear();
        for (byte[] b : KAFKA.get().readCommitted(scores, Duration.ofSeconds(2))) {
          Score score = codec.decode(b);
          count.merge(score.getRequestId(), 1, Integer::sum);
          byRequest.put(score.getRequestId(), score);
        }
      }
      assertThat(count).as("%s: events scored", name).hasSize(values.size());
      assertThat(count.values()).as("%s: scores per event", name).allMatch(c -> c == 1);

      String jobPath = "/jobs/" + job.getJobID();
      List<String> failures = new ArrayList<>();
      for (JsonNode entry :
          rest(jobPath + "/exceptions").path("exceptionHistory").path("entries")) {
        failures.add(
            entry.path("exceptionName").asText() + ": " + entry.path("stacktrace").asText());
      }
      // The REST API caches checkpoint statistics for a few seconds: ask until they are current.
      JsonNode checkpoints = rest(jobPath + "/checkpoints");
      long until = System.currentTimeMillis() + 15_000;
      while (failAfter > 0
          && checkpoints.path("counts").path("restored").asLong() == 0
          && System.currentTimeMillis() < until) {
        Thread.sleep(500);
        checkpoints = rest(jobPath + "/checkpoints");
      }
      return new Run(
          byRequest,
          snapshots,
          failures,
          checkpoints.path("counts").path("restored").asLong(),
          checkpoints.path("latest").path("restored").path("id").asLong(-1));
    } finally {
      job.cancel().get();
    }
  }

  /** GETs a path of the MiniCluster's REST API. */
  private static JsonNode rest(String path) throws Exception {
    int port = FLINK.getClientConfiguration().get(RestOptions.PORT);
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /** Whether a snapshot is in place (promoted: its checkpoint completed), not only staged. */
  private static boolean hasAnySnapshot(Path dir) {
    try (var s = Files.walk(dir)) {
      return s.anyMatch(
          p ->
              p.getFileName().toString().equals(ModelSnapshot.MANIFEST)
                  && !p.toString().contains("/.staged/"));
    } catch (Exception e) {
      return false;
    }
  }

  private static void waitFor(
      java.util.function.BooleanSupplier condition, Duration timeout, String what)
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
