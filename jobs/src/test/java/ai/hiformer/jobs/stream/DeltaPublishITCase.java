package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.snapshot.ModelDelta;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.embedded.EmbeddedKafka;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.WireCodec;
import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ServedModel;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental sync from the job: between full snapshots it publishes deltas, and the serving registry
 * brings its full snapshot up to the job's newer version by applying them.
 */
class DeltaPublishITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

  @TempDir
  Path tmp;

  @Test
  void whatTheJobLearnsAfterAFullSnapshotReachesTheServerAsDeltas() throws Exception {
    String spec = Files.readString(Path.of(repoRoot(), "specs", "synthetic.json"));
    WireCodec<Event> codec = WireCodec.events();
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 768; i++) { // three micro-batches: a full snapshot at 512 examples, then one more step
      values.add(codec.encode(Event.newBuilder().setRequestId("r" + i).setModelId("d")
          .setEventTime(Instant.ofEpochSecond(1_700_000_000L + i))
          .setCategorical(Map.of("user", "u" + i % 97, "item", "i" + i % 31, "category", "c" + i % 5,
              "ts", Long.toString(1_700_000_000L + i)))
          .setNumeric(Map.of("price", 1.0 + i % 9)).setLabels(Map.of("click", i % 3 == 0 ? 1.0 : 0.0)).build()));
      keys.add("d".getBytes(StandardCharsets.UTF_8));
    }
    Path snapshots = tmp.resolve("snapshots");
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "events", "labels", "scores", "dead-letters");
      kafka.produce("events", keys, values);
      JobConfig config = JobConfig.builder().bootstrapServers(kafka.bootstrapServers()).modelIds(Set.of("d"))
          .specJson(spec).modelConfig(ModelConfig.builder(ModelKind.HIFORMER).build()).parallelism(1)
          .checkpointIntervalMillis(200).flushIdleMillis(600_000)
          .snapshotDir(snapshots.toString()).snapshotEveryExamples(512)
          .deltaIntervalMillis(1).denseEveryDeltas(1)
          .checkpointDir(tmp.resolve("cp").toUri().toString()).rocksDbLocalDir("/tmp/hiformer-rocksdb").build();
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
          StreamingJob.flinkConfiguration(config));
      env.setParallelism(1);
      StreamingJob.build(env, config);
      JobClient job = env.executeAsync("deltas");
      try {
        long deadline = System.currentTimeMillis() + 60_000;
        while (ModelDelta.list(snapshots, "d", 2).isEmpty()) {
          assertThat(System.currentTimeMillis()).as("a delta was published").isLessThan(deadline);
          Thread.sleep(100);
        }
      } finally {
        job.cancel().get();
      }
    }
    assertThat(ModelSnapshot.directory(snapshots, "d", 2)).isDirectory();
    assertThat(ModelSnapshot.directory(snapshots, "d", 3)).doesNotExist(); // v3 exists only as a delta
    ModelDelta first = ModelDelta.read(ModelDelta.list(snapshots, "d", 2).get(0));
    assertThat(first.sequence()).isEqualTo(1);
    assertThat(first.modelVersion()).isEqualTo(3);

    ModelRegistry registry = new ModelRegistry(snapshots, 1);
    registry.refresh();
    ServedModel served = registry.model("d").orElseThrow();
    assertThat(served.baseVersion()).isEqualTo(2);
    assertThat(served.version()).isEqualTo(3);
    ServedModel base = ServedModel.load(ModelSnapshot.directory(snapshots, "d", 2), 1);
    var row = JsonLinesReader.of(new ObjectMapper().readTree(
        "{\"user\": \"u5\", \"item\": \"i7\", \"category\": \"c1\", \"ts\": 1700000100, \"price\": 3}"), "t");
    assertThat(served.score(row).get("click")).as("the delta changed the model").isNotEqualTo(base.score(row).get("click"));
  }

  private static String repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("specs"))) {
        return p.toString();
      }
    }
    throw new IllegalStateException("repo root");
  }
}
