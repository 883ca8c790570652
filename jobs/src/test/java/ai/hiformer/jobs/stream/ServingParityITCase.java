package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.model.math.Blas;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ServedModel;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parity: for the same snapshot and the same events, the serving runtime's scores equal the job's
 * to 1e-6. The job learns from 512 labelled events (two micro-batches, the last snapshot is taken
 * right after), then scores 200 unlabelled events with that model; the server loads the snapshot
 * and scores the same 200.
 */
class ServingParityITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(1);

  @TempDir Path tmp;

  private static Event event(int i, boolean labelled) {
    int user = i % 40;
    int item = i % 25;
    return Event.newBuilder()
        .setRequestId("r" + i)
        .setModelId("p")
        .setEventTime(Instant.ofEpochSecond(1_700_000_000L + i))
        .setCategorical(Map.of("user", "u" + user, "item", "i" + item))
        .setMulti(Map.of("tags", List.of("t" + item % 4, "t" + user % 3)))
        .setNumeric(Map.of("price", (double) (i % 17)))
        .setLabels(labelled ? Map.of("click", (user + item) % 3 == 0 ? 1.0 : 0.0) : Map.of())
        .build();
  }

  @Test
  void theServerScoresWhatTheJobScoresWithTheSameSnapshot() throws Exception {
    assertThat(Blas.floatProducts())
        .as("the production arithmetic (float products on OpenBLAS)")
        .isTrue();
    WireCodec<Event> codec = WireCodec.events();
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 512 + 200; i++) {
      values.add(codec.encode(event(i, i < 512)));
      keys.add("p".getBytes(StandardCharsets.UTF_8));
    }
    Path snapshots = tmp.resolve("snapshots");
    Map<String, Double> jobScores = new HashMap<>();
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "events", "labels", "scores", "dead-letters");
      kafka.produce("events", keys, values);
      JobConfig config =
          JobTestKit.config(kafka.bootstrapServers(), tmp, "p")
              .set(JobConfig.BOUNDED, true)
              .set(JobConfig.CHECKPOINT_INTERVAL_MS, 500L)
              // The 200 unlabelled impressions stay unlearned: in event time the end of a bounded
              // input would close their windows and train them as negatives (a version 3).
              .set(JobConfig.JOIN_TIME, "processing")
              .build();
      JobTestKit.runToEnd(config, "parity");
      WireCodec<Score> scores = WireCodec.scores();
      for (byte[] b : kafka.readCommitted("scores", Duration.ofSeconds(2))) {
        Score s = scores.decode(b);
        int i = Integer.parseInt(s.getRequestId().substring(1));
        if (i >= 512) {
          assertThat(s.getModelVersion()).isEqualTo(2);
          jobScores.put(s.getRequestId(), s.getScores().get("click"));
        }
      }
    }
    assertThat(jobScores).hasSize(200);

    ModelRegistry registry = new ModelRegistry(snapshots, 1);
    registry.refresh();
    ServedModel served = registry.model("p").orElseThrow();
    assertThat(served.version()).isEqualTo(2);
    ObjectMapper json = new ObjectMapper();
    for (int i = 512; i < 712; i++) {
      Event e = event(i, false);
      ObjectNode features = json.createObjectNode();
      e.getCategorical().forEach(features::put);
      e.getNumeric().forEach(features::put);
      e.getMulti().forEach((k, v) -> v.forEach(features.putArray(k)::add));
      double p = served.score(JsonLinesReader.of(features, "parity")).get("click");
      assertThat(p).as("event %d", i).isCloseTo(jobScores.get("r" + i), within(1e-6));
    }
  }
}
