package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.SharedData;
import ai.hiformer.features.snapshot.ModelDelta;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ServedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental sync from the job: between full snapshots it publishes deltas, and what they bring
 * the server to is exactly the full snapshot of the same version. The job runs twice on the same
 * stream (runs are deterministic, RecoveryITCase): once with a full snapshot every 512 examples
 * (v2, then v3 only as a delta), once with one every 256 (a full v3). Full v2 + its deltas must
 * equal full v3 in every dense weight, every embedding row and the encoder state, and score every
 * event of the stream identically.
 */
class DeltaPublishITCase {
  private static final int EVENTS = 768; // three micro-batches

  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(1);

  @TempDir Path tmp;

  @Test
  void whatTheJobLearnsAfterAFullSnapshotReachesTheServerAsDeltasEqualToTheFullSnapshot()
      throws Exception {
    String spec = Files.readString(SharedData.spec("synthetic.json"));
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = JobTestKit.syntheticEvents("d", EVENTS, 97, 31, 9, keys);
    Path synced = tmp.resolve("synced");
    Path full = tmp.resolve("full");
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "events");
      kafka.produce("events", keys, values);
      run(
          kafka,
          "synced",
          spec,
          synced,
          512,
          () ->
              ModelDelta.list(synced, "d", 2).stream()
                  .anyMatch(DeltaPublishITCase::bringsVersion3));
      run(
          kafka,
          "full",
          spec,
          full,
          256,
          () -> Files.isDirectory(ModelSnapshot.directory(full, "d", 3)));
    }
    assertThat(ModelSnapshot.directory(synced, "d", 2)).isDirectory();
    assertThat(ModelSnapshot.directory(synced, "d", 3)).doesNotExist(); // v3 exists only as a delta
    List<ModelDelta> deltas = new ArrayList<>();
    for (Path d : ModelDelta.list(synced, "d", 2)) {
      deltas.add(ModelDelta.read(d));
    }
    assertThat(deltas.get(0).sequence()).isEqualTo(1);
    assertThat(deltas.get(deltas.size() - 1).modelVersion()).isEqualTo(3);

    ModelSnapshot base =
        ModelSnapshot.read(ModelSnapshot.directory(synced, "d", 2), OptimizerConfig.defaults());
    ModelSnapshot expected =
        ModelSnapshot.read(ModelSnapshot.directory(full, "d", 3), OptimizerConfig.defaults());
    for (ModelDelta d : deltas) {
      d.applyTo(base.learner(), base.encoder());
    }
    CtrModel got = base.learner().model();
    CtrModel want = expected.learner().model();
    List<Param> gotParams = got.params().all();
    List<Param> wantParams = want.params().all();
    assertThat(gotParams).hasSameSizeAs(wantParams);
    for (int i = 0; i < gotParams.size(); i++) {
      assertThat(gotParams.get(i).value())
          .as("dense weight %s", wantParams.get(i).name())
          .containsExactly(wantParams.get(i).value());
    }
    for (int t = 0; t < want.tables().size(); t++) {
      EmbeddingTable g = got.tables().get(t);
      EmbeddingTable w = want.tables().get(t);
      assertThat(g.rows()).as("rows of table %d", t).isEqualTo(w.rows());
      assertThat(ai.hiformer.model.nn.RowCopies.values(g))
          .as("embedding rows of table %d", t)
          .containsExactly(ai.hiformer.model.nn.RowCopies.values(w));
    }
    assertThat(base.encoder().stateBytes())
        .as("encoder state")
        .isEqualTo(expected.encoder().stateBytes());

    // And the server, which applies the same deltas itself, scores every event as the full v3 does.
    ModelRegistry registry = new ModelRegistry(synced, 1);
    registry.refresh();
    ServedModel served = registry.model("d").orElseThrow();
    assertThat(served.baseVersion()).isEqualTo(2);
    assertThat(served.version()).isEqualTo(3);
    ServedModel fullV3 = ServedModel.load(ModelSnapshot.directory(full, "d", 3), 1);
    ServedModel v2 = ServedModel.load(ModelSnapshot.directory(synced, "d", 2), 1);
    int changed = 0;
    for (int i = 0; i < EVENTS; i += 7) {
      var row = JobTestKit.syntheticRow(i, 97, 31, 9);
      assertThat(served.score(row)).as("event %d", i).isEqualTo(fullV3.score(row));
      changed += served.score(row).equals(v2.score(row)) ? 0 : 1;
    }
    assertThat(changed).as("events whose score the delta changed").isPositive();
  }

  private static boolean bringsVersion3(Path delta) {
    try {
      return ModelDelta.read(delta).modelVersion() == 3;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** Runs the job on the events topic until {@code done} holds, then cancels it. */
  private void run(
      EmbeddedKafka kafka,
      String name,
      String spec,
      Path snapshots,
      long snapshotEvery,
      Callable<Boolean> done)
      throws Exception {
    kafka.createTopics(1, name + "-labels", name + "-scores", name + "-dead-letters");
    JobConfig config =
        JobTestKit.config(kafka.bootstrapServers(), tmp.resolve(name), "d")
            .set(JobConfig.LABELS_TOPIC, name + "-labels")
            .set(JobConfig.SCORES_TOPIC, name + "-scores")
            .set(JobConfig.DEAD_LETTER_TOPIC, name + "-dead-letters")
            .set(JobConfig.GROUP_ID, name)
            .set(JobConfig.TRANSACTIONAL_ID_PREFIX, name)
            .set(LearnerOptions.FEATURE_SPEC, spec)
            .set(JobConfig.CHECKPOINT_INTERVAL_MS, 200L)
            .set(LearnerOptions.SNAPSHOT_DIR, snapshots.toString())
            .set(LearnerOptions.SNAPSHOT_EVERY_EXAMPLES, snapshotEvery)
            .set(LearnerOptions.DELTA_INTERVAL_MS, 1L)
            .set(LearnerOptions.DENSE_EVERY_DELTAS, 1)
            .build();
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(StreamingJob.flinkConfiguration(config));
    env.setParallelism(1);
    StreamingJob.build(env, config);
    JobClient job = env.executeAsync(name);
    try {
      long deadline = System.currentTimeMillis() + 60_000;
      while (!done.call()) {
        assertThat(System.currentTimeMillis())
            .as("%s: the job published what the test waits for", name)
            .isLessThan(deadline);
        Thread.sleep(100);
      }
    } finally {
      job.cancel().get();
    }
  }
}
