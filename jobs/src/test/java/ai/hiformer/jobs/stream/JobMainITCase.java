package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.jobs.embedded.EmbeddedKafka;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The entry point {@code flink run} calls, with the shipped config file and overrides, against a real
 * broker (the job runs on a local Flink environment here).
 */
class JobMainITCase {
  @TempDir
  Path tmp;

  @Test
  void theMainClassRunsTheJobFromTheConfigFileAndOverrides() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "ev", "labels", "scores", "dead-letters");
      WireCodec<Event> codec = WireCodec.events();
      List<byte[]> keys = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        values.add(codec.encode(Event.newBuilder().setRequestId("r" + i).setModelId("demo")
            .setEventTime(Instant.ofEpochSecond(1_700_000_000L + i))
            .setCategorical(Map.of("user", "u" + i % 17, "item", "i" + i % 11, "category", "c" + i % 5,
                "ts", Long.toString(1_700_000_000L + i)))
            .setNumeric(Map.of("price", 1.0 + i % 7)).setLabels(Map.of("click", i % 3 == 0 ? 1.0 : 0.0)).build()));
        keys.add("demo".getBytes(StandardCharsets.UTF_8));
      }
      kafka.produce("ev", keys, values);
      Path conf = repoFile("conf/job.properties");
      StreamingJob.main(new String[] {"--config", conf.toString(),
          "--kafka.bootstrap-servers=" + kafka.bootstrapServers(), "--topics.events=ev",
          "--job.model-ids=demo", "--job.feature-spec=" + repoFile("specs/synthetic.json"), "--job.bounded=true",
          "--checkpoint.interval-ms=500", "--checkpoint.dir=" + tmp.resolve("cp").toUri(),
          "--snapshot.dir=" + tmp.resolve("snapshots"), "--snapshot.every-examples=100",
          "--state.rocksdb.localdir=/tmp/hiformer-rocksdb"});
      assertThat(kafka.readCommitted("scores", Duration.ofSeconds(2))).hasSize(300);
      assertThat(tmp.resolve("snapshots").resolve("demo")).isDirectory();
    }
  }

  private static Path repoFile(String name) {
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve(name))) {
        return p.resolve(name);
      }
    }
    throw new IllegalStateException(name);
  }
}
