package ai.hiformer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.learner.ModelUpdate;
import ai.hiformer.learner.ScoringReplica;
import ai.hiformer.learner.UpdateChunks;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.serving.UpdateFollower;
import ai.hiformer.serving.UpdateTopicReader;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * {@code serve --updates-topic}'s reader against a real broker: updates already on the topic when
 * the server starts and updates published while it runs are served, a record that is not an update
 * is skipped, and a topic that does not exist is a clear start-up error.
 */
class UpdateTopicReaderTest {
  private static final String SPEC =
      """
      {"name": "t", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"}]}""";
  private static final ObjectMapper JSON = new ObjectMapper();

  @SuppressWarnings("try") // the reader works on its own thread while it is open
  @Test
  void updatesOnTheTopicBeforeAndAfterTheServerStartsAreServed() throws Exception {
    ModelRuntime learner =
        new ModelRuntime(
            FeatureSpec.parse(SPEC),
            ModelConfig.builder(ModelKind.HIFORMER).d(8).build(),
            OptimizerConfig.defaults(),
            8);
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "model-updates");
      ModelUpdate full = train(learner, 0, true);
      ScoringReplica reference = ScoringReplica.startingFrom(full);
      // In parts of 1,000 bytes (the job's are 1 MB), then a record that is not an update.
      List<byte[]> parts = new ArrayList<>(UpdateChunks.split(full, 1000));
      assertThat(parts).hasSizeGreaterThan(3);
      parts.add("not an update".getBytes(StandardCharsets.UTF_8));
      publish(kafka, parts.toArray(new byte[0][]));

      Properties client = new Properties();
      client.put("bootstrap.servers", kafka.bootstrapServers());
      UpdateFollower follower = new UpdateFollower(1, (id, version, epoch, sequence) -> {});
      try (UpdateTopicReader reader = new UpdateTopicReader(client, "model-updates", follower)) {
        awaitVersion(follower, reference.version());
        ModelUpdate next = train(learner, 100, false);
        reference.apply(next);
        publish(kafka, UpdateChunks.split(next, 1000).toArray(new byte[0][]));
        awaitVersion(follower, reference.version());
        var row =
            JsonLinesReader.of(JSON.readTree("{\"user\": \"u3\", \"item\": \"i2\"}"), "probe");
        assertThat(follower.model("m").orElseThrow().score(row).get("click"))
            .isEqualTo(reference.score(row)[0]);
        assertThat(follower.rejected()).as("the record that is not an update").isEqualTo(1);
      }
      assertThatThrownBy(() -> new UpdateTopicReader(client, "no-such-topic", follower))
          .hasMessageContaining("updates topic no-such-topic does not exist");
    }
  }

  private static ModelUpdate train(ModelRuntime learner, int from, boolean full) throws Exception {
    for (int i = from; i < from + 16; i++) {
      learner.learnOnly(
          JsonLinesReader.of(
              JSON.readTree("{\"user\": \"u" + i % 5 + "\", \"item\": \"i" + i % 3 + "\"}"),
              "e" + i),
          Map.of("click", i % 2 == 0 ? 1.0 : 0.0),
          0);
    }
    return learner.updates().capture(full, true);
  }

  private static void publish(EmbeddedKafka kafka, byte[]... values) {
    List<byte[]> keys = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      keys.add("m".getBytes(StandardCharsets.UTF_8));
    }
    kafka.produce("model-updates", keys, List.of(values));
  }

  private static void awaitVersion(UpdateFollower follower, long version)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (follower.model("m").map(m -> m.version()).orElse(-1L) != version) {
      assertThat(System.currentTimeMillis())
          .as("served version %d in time", version)
          .isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
