package ai.hiformer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** replay and watch reach a secured Kafka as the job does: through the job's properties file. */
class KafkaClientOptionsTest {
  private static final Set<String> VALUED = Set.of("config", "bootstrap-servers", "topic");

  @TempDir Path tmp;

  @Test
  void theJobsPropertiesFileGivesBootstrapServersClientPropertiesAndTopicsAndOptionsWin()
      throws Exception {
    Path conf =
        Files.writeString(
            tmp.resolve("job.properties"),
            """
        kafka.bootstrap-servers=broker-1:9093
        kafka.property.security.protocol=SASL_SSL
        kafka.property.sasl.mechanism=SCRAM-SHA-512
        topics.scores=scores-eu
        learn.micro-batch=256
        """);
    Options fromFile =
        new Options(
            "watch", new String[] {"watch", "--config", conf.toString()}, 1, VALUED, Set.of());
    Map<String, String> file = KafkaClientOptions.config(fromFile);
    Properties client = KafkaClientOptions.client(fromFile, file);
    assertThat(client)
        .containsEntry("bootstrap.servers", "broker-1:9093")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .doesNotContainKey("learn.micro-batch");
    assertThat(KafkaClientOptions.topic(fromFile, file, "topics.scores", "scores"))
        .isEqualTo("scores-eu");

    Options overridden =
        new Options(
            "watch",
            new String[] {
              "watch",
              "--config",
              conf.toString(),
              "--bootstrap-servers",
              "localhost:9092",
              "--topic",
              "mine"
            },
            1,
            VALUED,
            Set.of());
    assertThat(KafkaClientOptions.client(overridden, file))
        .containsEntry("bootstrap.servers", "localhost:9092")
        .containsEntry("security.protocol", "SASL_SSL");
    assertThat(KafkaClientOptions.topic(overridden, file, "topics.scores", "scores"))
        .isEqualTo("mine");
  }

  @Test
  void aMissingConfigFileIsAUsageErrorNamingIt() {
    Options o =
        new Options(
            "replay",
            new String[] {"replay", "--config", tmp.resolve("nope").toString()},
            1,
            VALUED,
            Set.of());
    assertThatThrownBy(() -> KafkaClientOptions.config(o))
        .isInstanceOf(Options.UsageException.class)
        .hasMessageContaining("nope")
        .hasMessageContaining("does not exist");
  }
}
