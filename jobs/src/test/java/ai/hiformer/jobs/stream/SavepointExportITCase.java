package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export from Flink state: a savepoint taken when the job has trained on every event equals the
 * job's own snapshot of that state, learner and encoder byte for byte, for every model id.
 */
class SavepointExportITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(2);

  @TempDir Path tmp;

  @Test
  void theSavepointExportEqualsTheJobsOwnSnapshot() throws Exception {
    String spec = Files.readString(repoFile("specs/synthetic.json"));
    WireCodec<Event> codec = WireCodec.events();
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0;
        i < 1024;
        i++) { // 512 per model: exactly two micro-batches each, nothing pending
      String model = i % 2 == 0 ? "a" : "b";
      values.add(
          codec.encode(
              Event.newBuilder()
                  .setRequestId("r" + i)
                  .setModelId(model)
                  .setEventTime(Instant.ofEpochSecond(1_700_000_000L + i))
                  .setCategorical(
                      Map.of(
                          "user",
                          "u" + i % 37,
                          "item",
                          "i" + i % 19,
                          "category",
                          "c" + i % 5,
                          "ts",
                          Long.toString(1_700_000_000L + i)))
                  .setNumeric(Map.of("price", 1.0 + i % 9))
                  .setLabels(Map.of("click", i % 3 == 0 ? 1.0 : 0.0))
                  .build()));
      keys.add(model.getBytes(StandardCharsets.UTF_8));
    }
    Path snapshots = tmp.resolve("snapshots");
    String savepoint;
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(2, "events", "labels", "scores", "dead-letters");
      kafka.produce("events", keys, values);
      JobConfig config =
          JobTestKit.config(kafka.bootstrapServers(), tmp, "a", "b")
              .set(LearnerOptions.FEATURE_SPEC, spec)
              .set(JobConfig.PARALLELISM, 2)
              .build();
      JobClient job = JobTestKit.environment(config).executeAsync("export");
      long deadline = System.currentTimeMillis() + 120_000;
      while (!(Files.isDirectory(ModelSnapshot.directory(snapshots, "a", 2))
          && Files.isDirectory(ModelSnapshot.directory(snapshots, "b", 2))
          && kafka.readCommitted("scores", Duration.ofMillis(800)).size() == values.size())) {
        assertThat(System.currentTimeMillis()).as("job caught up").isLessThan(deadline);
      }
      savepoint = JobTestKit.stopWithSavepoint(job, tmp);
    }
    List<Path> exported = SavepointExport.export(savepoint, tmp.resolve("exported"));
    assertThat(exported).hasSize(2);
    for (String model : List.of("a", "b")) {
      Path own = ModelSnapshot.directory(snapshots, model, 2);
      Path export = ModelSnapshot.directory(tmp.resolve("exported"), model, 2);
      assertThat(Files.readAllBytes(export.resolve("learner.bin")))
          .isEqualTo(Files.readAllBytes(own.resolve("learner.bin")));
      assertThat(Files.readAllBytes(export.resolve("encoder.bin")))
          .isEqualTo(Files.readAllBytes(own.resolve("encoder.bin")));
    }
  }

  private static Path repoFile(String name) {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve(name))) {
        return p.resolve(name);
      }
    }
    throw new IllegalStateException(name);
  }
}
