package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.features.SharedData;
import ai.hiformer.jobs.api.LearnerOptions;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobConfigLoaderTest {

  @Test
  void theShippedConfigLoadsAndOverridesWin() throws Exception {
    Path spec = SharedData.repoFile("specs/movielens.json");
    Map<String, String> m =
        JobConfigLoader.read(
            SharedData.repoFile("conf/job.properties"),
            new String[] {
              "--job.feature-spec=" + spec,
              "--job.model-ids=a,b",
              "--model.layers",
              "2",
              "--kafka.property.security.protocol=SASL_SSL"
            },
            0);
    JobConfig c = JobConfigLoader.build(m);
    assertThat(c.get(JobConfig.MODEL_IDS)).containsExactly("a", "b");
    assertThat(c.model().layers()).isEqualTo(2);
    assertThat(c.kafkaClientProperties()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(c.get(LearnerOptions.MICRO_BATCH)).isEqualTo(256);
  }

  @Test
  void theJobsModelsStartFromTheOnlineProfileUnlessTheConfigurationNamesOne() throws Exception {
    Map<String, String> base = minimal();
    ai.hiformer.model.ModelConfig online = JobConfigLoader.build(base).model();
    assertThat(online.centreFirstLogits()).isTrue();
    assertThat(online.embeddingInitStd()).isEqualTo(0.02);
    Map<String, String> protocol = new java.util.HashMap<>(base);
    protocol.put("model.profile", "protocol");
    assertThat(JobConfigLoader.build(protocol).model().centreFirstLogits()).isFalse();
    assertThat(JobConfigLoader.build(protocol).model().embeddingInitStd()).isEqualTo(0.01);
    protocol.put("model.profile", "fast");
    assertThatThrownBy(() -> JobConfigLoader.build(protocol))
        .hasMessageContaining("profile = 'fast'")
        .hasMessageContaining("protocol, online");
  }

  @Test
  void anUnknownKeyFailsNamingIt() {
    assertThatThrownBy(() -> JobConfigLoader.build(Map.of("topics.event", "x")))
        .hasMessageContaining("unknown key 'topics.event'")
        .hasMessageContaining("topics.events");
    assertThatThrownBy(() -> JobConfigLoader.build(Map.of("model.depth", "3")))
        .hasMessageContaining("unknown key 'model.depth'")
        .hasMessageContaining("model.layers");
  }

  /** The three keys a job needs (the MovieLens spec, a broker, model "a"), then {@code more}. */
  private static Map<String, String> minimal(String... more) {
    Map<String, String> m = new java.util.HashMap<>();
    m.put("job.feature-spec", SharedData.repoFile("specs/movielens.json").toString());
    m.put("kafka.bootstrap-servers", "h:1");
    m.put("job.model-ids", "a");
    for (int k = 0; k < more.length; k += 2) {
      m.put(more[k], more[k + 1]);
    }
    return m;
  }

  @Test
  void anInvalidValueFailsNamingTheKeyAndTheAllowedValues() {
    assertThatThrownBy(() -> JobConfigLoader.build(minimal("learn.micro-batch", "0")))
        .hasMessageContaining("invalid learn.micro-batch = '0'")
        .hasMessageContaining("an integer >= 1");
    assertThatThrownBy(() -> JobConfigLoader.build(minimal("job.bounded", "yes")))
        .hasMessageContaining("job.bounded")
        .hasMessageContaining("true, false");
    assertThatThrownBy(() -> JobConfigLoader.build(minimal("scores.delivery", "exactly-twice")))
        .hasMessageContaining("scores.delivery")
        .hasMessageContaining("exactly-once, at-least-once");
    assertThatThrownBy(() -> JobConfigLoader.build(minimal("job.model-ids", "")))
        .hasMessageContaining("job.model-ids");
  }

  @Test
  void theShippedFileListsEveryDeclaredKeyAndNoOther() throws Exception {
    // Each option is declared once, in code; conf/job.properties documents them all (set, or
    // commented out as
    // "# key=value"). This keeps the file from drifting from the declarations.
    java.util.Set<String> inFile = new java.util.TreeSet<>();
    for (String line :
        java.nio.file.Files.readAllLines(SharedData.repoFile("conf/job.properties"))) {
      var m =
          java.util.regex.Pattern.compile("^#?\\s*([a-z][a-z0-9.-]*[a-z0-9])=")
              .matcher(line.strip());
      if (m.find()
          && !m.group(1).startsWith("kafka.property.")
          && !m.group(1).startsWith("model.")) {
        inFile.add(m.group(1));
      }
    }
    assertThat(inFile).containsExactlyInAnyOrderElementsOf(JobConfigLoader.KEYS);
  }

  @Test
  void theShippedFileSetsEveryKeyThatHasADefaultToThatDefault() throws Exception {
    // A key the code gives a default is set in the file to that default, so that leaving it out of
    // a job's file changes nothing. Keys without one (required, or unset = off) are the shipped
    // deployment's choices: the file may set them (bootstrap servers, models, spec, snapshot dir).
    java.util.Map<String, ai.hiformer.model.config.Option<?>> options = new java.util.HashMap<>();
    for (ai.hiformer.model.config.Option<?> o : JobConfig.ALL) {
      options.put(o.key(), o);
    }
    java.util.List<String> disagree = new java.util.ArrayList<>();
    int compared = 0;
    for (String line :
        java.nio.file.Files.readAllLines(SharedData.repoFile("conf/job.properties"))) {
      var m = java.util.regex.Pattern.compile("^([a-z][a-z0-9.-]*[a-z0-9])=(.*)$").matcher(line);
      if (!m.find() || !options.containsKey(m.group(1))) {
        continue; // comments, kafka.property.*, model.* (ModelConfig's own defaults)
      }
      ai.hiformer.model.config.Option<?> o = options.get(m.group(1));
      if (o.defaultValue() == null) {
        continue;
      }
      compared++;
      Object shipped = o.parse(m.group(2).strip());
      if (!shipped.equals(o.defaultValue())) {
        disagree.add(o.key() + ": file " + shipped + ", code " + o.defaultValue());
      }
    }
    assertThat(disagree).isEmpty();
    assertThat(compared).as("keys compared").isGreaterThan(25);
    // model.*: the file's model is the one a job that names no model.* key gets.
    Map<String, String> shipped =
        JobConfigLoader.read(
            SharedData.repoFile("conf/job.properties"),
            new String[] {"--job.feature-spec=" + SharedData.repoFile("specs/movielens.json")},
            0);
    Map<String, String> withoutModelKeys = new java.util.HashMap<>(shipped);
    withoutModelKeys.keySet().removeIf(k -> k.startsWith("model."));
    assertThat(shipped.keySet()).anyMatch(k -> k.startsWith("model."));
    assertThat(JobConfigLoader.build(shipped).model().toProperties())
        .isEqualTo(JobConfigLoader.build(withoutModelKeys).model().toProperties());
  }

  @Test
  void aRequiredKeyThatIsMissingFailsNamingIt() {
    Path spec = SharedData.repoFile("specs/movielens.json");
    assertThatThrownBy(
            () ->
                JobConfigLoader.build(
                    Map.of("job.feature-spec", spec.toString(), "job.model-ids", "a")))
        .hasMessageContaining("missing kafka.bootstrap-servers");
    assertThatThrownBy(
            () ->
                JobConfigLoader.build(
                    Map.of(
                        "kafka.bootstrap-servers",
                        "h:1",
                        "job.model-ids",
                        "a",
                        "job.feature-spec",
                        "/nonexistent/spec.json")))
        .hasMessageContaining("invalid job.feature-spec = '/nonexistent/spec.json'");
  }

  @Test
  void changelogCheckpointsAreTheExactlyOnceDefaultAndNeedACheckpointDirectory() throws Exception {
    assertThat(withChangelogSettings().changelogCheckpoints()).as("auto, exactly-once").isTrue();
    assertThat(withChangelogSettings("scores.delivery", "at-least-once").changelogCheckpoints())
        .as("auto, at-least-once")
        .isFalse();
    assertThat(withChangelogSettings("checkpoint.dir", "").changelogCheckpoints())
        .as("auto, no checkpoint.dir")
        .isFalse();
    assertThat(
            withChangelogSettings(
                    "scores.delivery", "at-least-once", "checkpoint.changelog", "true")
                .changelogCheckpoints())
        .isTrue();
    assertThat(withChangelogSettings("checkpoint.changelog", "false").changelogCheckpoints())
        .isFalse();
    assertThat(StreamingJob.flinkConfiguration(withChangelogSettings()).toMap())
        .as(
            "a resume from a savepoint claims it (the changelog cannot take NO_CLAIM's full first checkpoint)")
        .containsEntry("state.changelog.enabled", "true")
        .containsEntry("execution.state-recovery.claim-mode", "CLAIM")
        .containsEntry("state.changelog.periodic-materialize.interval", "60000ms");
    assertThat(
            StreamingJob.flinkConfiguration(
                    withChangelogSettings("checkpoint.changelog.materialize-interval-ms", "10000"))
                .toMap())
        .containsEntry("state.changelog.periodic-materialize.interval", "10000ms");
    assertThat(
            StreamingJob.flinkConfiguration(withChangelogSettings("checkpoint.changelog", "false"))
                .toMap())
        .doesNotContainKeys("state.changelog.enabled", "execution.state-recovery.claim-mode");
    assertThatThrownBy(() -> withChangelogSettings("checkpoint.changelog", "yes"))
        .hasMessageContaining("checkpoint.changelog")
        .hasMessageContaining("auto, true, false");
    assertThatThrownBy(
            () -> withChangelogSettings("checkpoint.changelog", "true", "checkpoint.dir", ""))
        .hasMessageContaining("checkpoint.changelog = true needs checkpoint.dir");
  }

  @Test
  void aLearningOrScoringJobNeedsTheUpdateTopicAndReplicas() throws Exception {
    String[] twoJobs = {
      "topics.model-updates", "updates", "scoring.parallelism", "2", "updates.interval-ms", "1000"
    };
    JobConfig learn = withChangelogSettings(concat(twoJobs, "job.role", "learn"));
    JobConfig score = withChangelogSettings(concat(twoJobs, "job.role", "score"));
    assertThat(learn.changelogCheckpoints())
        .as("no score waits for the learning job's checkpoints")
        .isFalse();
    assertThat(score.changelogCheckpoints()).as("the scoring job keeps no keyed state").isFalse();
    assertThat(withChangelogSettings(twoJobs).changelogCheckpoints())
        .as("one job, exactly-once")
        .isTrue();
    assertThatThrownBy(
            () ->
                withChangelogSettings(
                    "job.role", "score", "scoring.parallelism", "2", "updates.interval-ms", "1000"))
        .hasMessageContaining(
            "job.role = score needs topics.model-updates and scoring.parallelism > 0");
    assertThatThrownBy(
            () ->
                withChangelogSettings(
                    "job.role",
                    "learn",
                    "topics.model-updates",
                    "updates",
                    "scoring.parallelism",
                    "0"))
        .hasMessageContaining(
            "job.role = learn needs topics.model-updates and scoring.parallelism > 0");
    assertThatThrownBy(
            () ->
                withChangelogSettings(concat(twoJobs, "job.role", "score", "job.bounded", "true")))
        .hasMessageContaining("job.role = score cannot be job.bounded = true");
    assertThatThrownBy(() -> withChangelogSettings("job.role", "both"))
        .hasMessageContaining("job.role")
        .hasMessageContaining("all, learn, score");
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /**
   * A configuration with a checkpoint.dir and {@code keysAndValues} over it (an empty value unsets
   * the key).
   */
  @Test
  void confluentAvroNeedsARegistryAndFailsAtStartUpNamingTheKey() throws Exception {
    assertThatThrownBy(() -> withChangelogSettings("labels.format", "avro-confluent"))
        .hasMessageContaining("labels.format = avro-confluent needs schema-registry.url");
    assertThatThrownBy(() -> withChangelogSettings("events.format", "protobuf"))
        .hasMessageContaining("events.format")
        .hasMessageContaining("avro, json, avro-confluent");
    assertThat(
            withChangelogSettings(
                    "events.format", "avro-confluent", "schema-registry.url", "http://r:8081")
                .get(MappedRecords.EVENTS_FORMAT))
        .isEqualTo("avro-confluent");
  }

  private static JobConfig withChangelogSettings(String... keysAndValues) throws Exception {
    Map<String, String> m = minimal("checkpoint.dir", "file:///tmp/checkpoints");
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    m.values().removeIf(String::isEmpty);
    return JobConfigLoader.build(m);
  }
}
