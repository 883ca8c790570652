package ai.hiformer.jobs.stream;

import ai.hiformer.features.io.Folders;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import java.nio.file.Path;
import java.util.Set;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

/**
 * What the job's integration tests share: a MiniCluster, a configuration with the test defaults, a
 * run.
 */
final class JobTestKit {
  /** user, item, tags (multi-valued), price: the small spec most tests read. */
  static final String SPEC =
      """
      {"name": "synthetic", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "tags", "kind": "multi", "max_values": 3},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";

  private JobTestKit() {}

  /**
   * One task manager with {@code slots} slots, configured as a cluster must be for the job's
   * exactly-once default (changelog checkpoints): the changelog on a file system, in a temporary
   * folder.
   */
  static MiniClusterExtension miniCluster(int slots) {
    return new MiniClusterExtension(
        new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(changelogOnFiles())
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(slots)
            .build());
  }

  /**
   * The TaskManager options that keep a changelog state backend's changes in files under a new
   * temporary folder.
   */
  static org.apache.flink.configuration.Configuration changelogOnFiles() {
    org.apache.flink.configuration.Configuration conf =
        new org.apache.flink.configuration.Configuration();
    try {
      conf.setString("state.changelog.storage", "filesystem");
      Path dir = java.nio.file.Files.createTempDirectory("hiformer-changelog");
      conf.setString("dstl.dfs.base-path", dir.toUri().toString());
      // The MiniCluster writes there until the test JVM ends, so the folder goes when the JVM does.
      Runtime.getRuntime()
          .addShutdownHook(new Thread(() -> Folders.deleteTreeQuietly(dir, "changelog clean-up")));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return conf;
  }

  /**
   * A configuration against the broker at {@code bootstrap} with what the tests share: {@link
   * #SPEC}, Hiformer at the protocol's defaults, checkpoints every 300 ms under {@code dir},
   * snapshots every 256 examples into {@code dir/snapshots}, no idle flush of a partial micro-batch
   * (600 s), RocksDB's short working directory.
   */
  static JobConfig.Builder config(String bootstrap, Path dir, String... modelIds) {
    return JobConfig.builder()
        .set(JobConfig.BOOTSTRAP_SERVERS, bootstrap)
        .set(JobConfig.MODEL_IDS, Set.of(modelIds))
        .set(LearnerOptions.FEATURE_SPEC, SPEC)
        .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).build())
        // The learner scores (the tests that run replicas, updates or deltas set them)
        .set(LearnerOptions.SCORING_PARALLELISM, 0)
        .set(LearnerOptions.UPDATES_INTERVAL_MS, 0L)
        .set(LearnerOptions.DELTA_INTERVAL_MS, 0L)
        .set(JobConfig.CHECKPOINT_INTERVAL_MS, 300L)
        .set(LearnerOptions.FLUSH_IDLE_MS, 600_000L)
        .set(LearnerOptions.SNAPSHOT_DIR, dir.resolve("snapshots").toString())
        .set(LearnerOptions.SNAPSHOT_EVERY_EXAMPLES, 256L)
        .set(JobConfig.CHECKPOINT_DIR, dir.resolve("checkpoints").toUri().toString())
        .set(JobConfig.ROCKSDB_LOCAL_DIR, "/tmp/hiformer-rocksdb");
  }

  /**
   * The job built into an environment configured as the job configures its own, at its parallelism.
   */
  static StreamExecutionEnvironment environment(JobConfig config) {
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(StreamingJob.flinkConfiguration(config));
    env.setParallelism(config.get(JobConfig.PARALLELISM));
    StreamingJob.build(env, config);
    return env;
  }

  /** The job of {@code config} built into an environment that resumes from {@code savepoint}. */
  static StreamExecutionEnvironment resumedFrom(String savepoint, JobConfig config) {
    org.apache.flink.configuration.Configuration resumed = StreamingJob.flinkConfiguration(config);
    resumed.setString("execution.state-recovery.path", savepoint);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(resumed);
    env.setParallelism(config.get(JobConfig.PARALLELISM));
    StreamingJob.build(env, config);
    return env;
  }

  /**
   * Waits (up to 3 minutes) until read_committed consumers see {@code n} scores on the topic
   * "scores", asserting that none is committed twice; returns request id → model version.
   */
  static java.util.Map<String, Long> awaitCommittedScores(
      ai.hiformer.local.embedded.EmbeddedKafka kafka, int n) throws Exception {
    ai.hiformer.schemas.WireCodec<ai.hiformer.schemas.Score> codec =
        ai.hiformer.schemas.WireCodec.scores();
    long deadline = System.currentTimeMillis() + 180_000;
    while (true) {
      java.util.List<byte[]> scores =
          kafka.readCommitted("scores", java.time.Duration.ofMillis(800));
      if (scores.size() >= n) {
        org.assertj.core.api.Assertions.assertThat(scores)
            .as("no score committed twice")
            .hasSize(n);
        java.util.Map<String, Long> versions = new java.util.HashMap<>();
        for (byte[] s : scores) {
          ai.hiformer.schemas.Score score = codec.decode(s);
          versions.put(score.getRequestId(), score.getModelVersion());
        }
        return versions;
      }
      org.assertj.core.api.Assertions.assertThat(System.currentTimeMillis())
          .as(n + " scores committed (" + scores.size() + " so far)")
          .isLessThan(deadline);
    }
  }

  /**
   * Stops {@code job} with a canonical savepoint under {@code dir}/savepoints; returns its path.
   */
  static String stopWithSavepoint(org.apache.flink.core.execution.JobClient job, Path dir)
      throws Exception {
    return job.stopWithSavepoint(
            false,
            dir.resolve("savepoints").toUri().toString(),
            org.apache.flink.core.execution.SavepointFormatType.CANONICAL)
        .get();
  }

  /**
   * The lowest model version among the scores of requests numbered {@code from} and up, from ids of
   * the form {@code r<number>} as {@link #syntheticEvents} writes them.
   */
  static long lowestVersionFrom(java.util.Map<String, Long> versions, int from) {
    return versions.entrySet().stream()
        .filter(e -> Integer.parseInt(e.getKey().substring(1)) >= from)
        .mapToLong(java.util.Map.Entry::getValue)
        .min()
        .orElseThrow();
  }

  /** Runs a bounded job to its end. */
  static void runToEnd(JobConfig config, String name) throws Exception {
    environment(config).execute(name);
  }

  /**
   * The features of {@link #syntheticEvents}' event {@code i} as a serving request reads them
   * (without its label).
   */
  static ai.hiformer.features.io.Row syntheticRow(int i, int users, int items, int prices) {
    com.fasterxml.jackson.databind.node.ObjectNode row =
        new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    row.put("user", "u" + i % users)
        .put("segment", "s" + i % users % 4)
        .put("item", "i" + i % items)
        .put("category", "c" + i % 5)
        .put("ts", 1_700_000_000L + i)
        .put("price", 1.0 + i % prices);
    return ai.hiformer.features.io.JsonLinesReader.of(row, "synthetic");
  }

  /**
   * Labelled Avro events for {@code specs/synthetic.json} (user, segment, item, category, ts;
   * price; click), keyed by the model id: event i has user {@code i % users}, item {@code i %
   * items}, price {@code 1 + i % prices}, a click on every third event, one second apart.
   *
   * @return the encoded values; {@code keys} receives one key per value
   */
  static java.util.List<byte[]> syntheticEvents(
      String modelId, int n, int users, int items, int prices, java.util.List<byte[]> keys) {
    ai.hiformer.schemas.WireCodec<ai.hiformer.schemas.Event> codec =
        ai.hiformer.schemas.WireCodec.events();
    java.util.List<byte[]> values = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      values.add(
          codec.encode(
              ai.hiformer.schemas.Event.newBuilder()
                  .setRequestId("r" + i)
                  .setModelId(modelId)
                  .setEventTime(java.time.Instant.ofEpochSecond(1_700_000_000L + i))
                  .setCategorical(
                      java.util.Map.of(
                          "user",
                          "u" + i % users,
                          "segment",
                          "s" + i % users % 4,
                          "item",
                          "i" + i % items,
                          "category",
                          "c" + i % 5,
                          "ts",
                          Long.toString(1_700_000_000L + i)))
                  .setNumeric(java.util.Map.of("price", 1.0 + i % prices))
                  .setLabels(java.util.Map.of("click", i % 3 == 0 ? 1.0 : 0.0))
                  .build()));
      keys.add(modelId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return values;
  }
}
