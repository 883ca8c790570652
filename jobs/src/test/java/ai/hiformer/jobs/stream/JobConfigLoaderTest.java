package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.features.SharedData;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobConfigLoaderTest {

  @Test
  void theShippedConfigLoadsAndOverridesWin() throws Exception {
    Path spec = SharedData.repoFile("specs/movielens.json");
    Map<String, String> m = JobConfigLoader.read(SharedData.repoFile("conf/job.properties"), new String[] {
        "--job.feature-spec=" + spec, "--job.model-ids=a,b", "--model.layers", "2",
        "--kafka.property.security.protocol=SASL_SSL"}, 0);
    JobConfig c = JobConfigLoader.build(m);
    assertThat(c.modelIds).containsExactly("a", "b");
    assertThat(c.model().layers()).isEqualTo(2);
    assertThat(c.kafkaClientProperties()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(c.microBatch).isEqualTo(256);
  }

  @Test
  void anUnknownKeyFailsNamingIt() {
    assertThatThrownBy(() -> JobConfigLoader.build(Map.of("topics.event", "x")))
        .hasMessageContaining("unknown key 'topics.event'").hasMessageContaining("topics.events");
    assertThatThrownBy(() -> JobConfigLoader.build(Map.of("model.depth", "3")))
        .hasMessageContaining("unknown key 'model.depth'").hasMessageContaining("model.layers");
  }

  @Test
  void anInvalidValueFailsNamingTheKeyAndTheAllowedValues() {
    Path spec = SharedData.repoFile("specs/movielens.json");
    assertThatThrownBy(() -> JobConfigLoader.build(Map.of("job.feature-spec", spec.toString(),
        "kafka.bootstrap-servers", "h:1", "job.model-ids", "a", "learn.micro-batch", "0")))
        .hasMessageContaining("learn.micro-batch").hasMessageContaining("> 0");
    assertThatThrownBy(() -> JobConfigLoader.build(Map.of("job.feature-spec", spec.toString(),
        "kafka.bootstrap-servers", "h:1", "job.model-ids", "a", "job.bounded", "yes")))
        .hasMessageContaining("job.bounded").hasMessageContaining("true, false");
    assertThatThrownBy(() -> JobConfigLoader.build(Map.of("job.feature-spec", spec.toString(),
        "kafka.bootstrap-servers", "h:1", "job.model-ids", "")))
        .hasMessageContaining("job.model-ids");
  }
}
