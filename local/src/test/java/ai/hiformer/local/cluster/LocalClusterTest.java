package ai.hiformer.local.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up checks of the process cluster that fail before any process starts (the cluster itself:
 * ClusterFailureIT).
 */
class LocalClusterTest {
  @TempDir Path tmp;

  private ClusterSettings settings(int kafkaPort, int restPort, int rpcPort) throws Exception {
    Path flink = Files.createDirectories(tmp.resolve("flink-lib"));
    Path kafka = Files.createDirectories(tmp.resolve("kafka-lib"));
    Path jar = Files.writeString(tmp.resolve("job.jar"), "");
    return ClusterSettings.of(
        tmp.resolve("home"), flink, kafka, jar, kafkaPort, restPort, rpcPort, 2, 2);
  }

  @Test
  void aPortInUseFailsTheStartNamingTheSetting() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("localhost", 0));
      LocalCluster cluster = new LocalCluster(settings(taken.getLocalPort(), 1, 2));
      assertThatThrownBy(cluster::start)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("port " + taken.getLocalPort())
          .hasMessageContaining("kafka-port");
      assertThat(cluster.status().values()).as("nothing was started").allMatch(pid -> pid == -1L);
    }
  }

  @Test
  void missingJarsNameTheBuildStepThatMakesThem() {
    assertThatThrownBy(
            () ->
                ClusterSettings.of(
                    tmp, tmp.resolve("nope"), tmp, tmp.resolve("job.jar"), 9092, 8081, 6123, 2, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("flink-dist");
  }

  @Test
  void portsAndCountsAreValidated() throws Exception {
    ClusterSettings ok = settings(9092, 8081, 6123);
    assertThatThrownBy(() -> ok.withPorts(0, 8081, 6123)).hasMessageContaining("allowed: 1..65534");
    assertThatThrownBy(
            () ->
                ClusterSettings.of(
                    ok.home(), ok.flinkLib(), ok.kafkaLib(), ok.jobJar(), 9092, 8081, 6123, 0, 2))
        .hasMessageContaining("taskManagers");
  }
}
