package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.SharedData;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.ModelProfile;
import ai.hiformer.model.optim.OptimizerConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The entry point {@code flink run} calls, with the shipped config file and overrides, against a
 * real broker (the job runs on a local Flink environment here).
 */
class JobMainITCase {
  @TempDir Path tmp;

  @Test
  void theMainClassRunsTheJobFromTheConfigFileAndOverrides() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      runMainOn300Events(kafka);
      assertThat(kafka.readCommitted("scores", Duration.ofSeconds(2))).hasSize(300);
      // The shipped micro-batch (256) and the overrides (a snapshot every 100 examples, no idle
      // flush): a snapshot after the first 256 examples and one after the last 44, trained at the
      // end of the input.
      Path snapshots = tmp.resolve("snapshots");
      try (var s = Files.list(snapshots.resolve("demo"))) {
        assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("v")).sorted())
            .containsExactly("v000000000001", "v000000000002");
      }
      ModelSnapshot first =
          ModelSnapshot.read(
              ModelSnapshot.directory(snapshots, "demo", 1), OptimizerConfig.defaults());
      ModelSnapshot last =
          ModelSnapshot.read(
              ModelSnapshot.directory(snapshots, "demo", 2), OptimizerConfig.defaults());
      assertThat(first.position().examplesTrained()).isEqualTo(256);
      assertThat(last.modelId()).isEqualTo("demo");
      assertThat(last.spec().name()).as("the spec the override named").isEqualTo("synthetic");
      assertThat(last.learner().steps()).isEqualTo(2);
      assertThat(last.position().examplesTrained()).isEqualTo(300);
      // The shipped configuration scores with replicas (scoring.parallelism = 1): the learner
      // scored nothing.
      assertThat(last.position().eventsScored()).isZero();
      assertThat(last.metrics().get("click.examples")).isEqualTo(300.0);
      // The model the shipped file configures (model.kind=hiformer, model.d=16, model.seed=0; no
      // model.profile, so the job's default, online).
      String modelConfig =
          new ObjectMapper()
              .readTree(
                  ModelSnapshot.directory(snapshots, "demo", 2)
                      .resolve(ModelSnapshot.MANIFEST)
                      .toFile())
              .path("model_config")
              .asText();
      assertThat(modelConfig)
          .isEqualTo(
              ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE)
                  .seed(0)
                  .build()
                  .toProperties());
    }
  }

  @Test
  void aBlendRunsThroughTheJobAndItsSnapshotsCarryEachMembersMetrics() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      runMainOn300Events(kafka, "--model.kind=hiformer+dcnv2+lr");
      assertThat(kafka.readCommitted("scores", Duration.ofSeconds(2))).hasSize(300);
      ModelSnapshot last =
          ModelSnapshot.read(
              ModelSnapshot.directory(tmp.resolve("snapshots"), "demo", 2),
              OptimizerConfig.defaults());
      assertThat(last.learner().model().config().name()).isEqualTo("hiformer+dcnv2+lr");
      assertThat(last.metrics())
          .containsKeys(
              "click.progressive_auc",
              "click.hiformer.progressive_auc",
              "click.dcnv2.progressive_auc",
              "click.lr.progressive_logloss");
      assertThat(last.metrics().get("click.examples")).isEqualTo(300.0);
    }
  }

  /**
   * Runs {@code StreamingJob.main} as a user would, bounded, on 300 synthetic events of model
   * "demo" on topic "ev": conf/job.properties, then 500 ms checkpoints, a snapshot every 100
   * examples, no idle flush, then {@code more}.
   */
  private void runMainOn300Events(EmbeddedKafka kafka, String... more) throws Exception {
    kafka.createTopics(1, "ev", "labels", "scores", "dead-letters");
    List<byte[]> keys = new ArrayList<>();
    kafka.produce("ev", keys, JobTestKit.syntheticEvents("demo", 300, 17, 11, 7, keys));
    List<String> args =
        new ArrayList<>(
            List.of(
                "--config",
                SharedData.repoFile("conf/job.properties").toString(),
                "--kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--topics.events=ev",
                "--job.model-ids=demo",
                "--job.feature-spec=" + SharedData.repoFile("specs/synthetic.json"),
                "--job.bounded=true",
                "--checkpoint.interval-ms=500",
                "--checkpoint.dir=" + tmp.resolve("cp").toUri(),
                "--snapshot.dir=" + tmp.resolve("snapshots"),
                "--snapshot.every-examples=100",
                "--learn.flush-idle-ms=600000",
                "--state.rocksdb.localdir=/tmp/hiformer-rocksdb"));
    args.addAll(List.of(more));
    StreamingJob.main(args.toArray(String[]::new));
  }
}
