package ai.hiformer.local.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JobManager high availability on the process cluster, short of starting it (that is
 * HighAvailabilityIT): ports, Flink's configuration, and how the leader is read from the logs.
 */
class HighAvailabilitySettingsTest {
  @TempDir Path tmp;

  private ClusterSettings settings() throws Exception {
    return ClusterSettings.of(
        tmp.resolve("home"),
        Files.createDirectories(tmp.resolve("flink-lib")),
        Files.createDirectories(tmp.resolve("kafka-lib")),
        Files.writeString(tmp.resolve("job.jar"), ""),
        9092,
        8081,
        6123,
        2,
        2);
  }

  @Test
  void twoJobManagersOnConsecutivePortsOnlyWithHighAvailability() throws Exception {
    ClusterSettings plain = settings();
    assertThat(plain.highAvailability()).isFalse();
    assertThat(plain.jobManagers()).isEqualTo(1);
    ClusterSettings ha = plain.withHighAvailability(2181);
    assertThat(ha.jobManagers()).isEqualTo(2);
    assertThat(ha.restPort(2)).isEqualTo(8082);
    assertThat(ha.jobManagerRpcPort(2)).isEqualTo(6124);
    assertThatThrownBy(() -> plain.withHighAvailability(70_000))
        .hasMessageContaining("zookeeper-port");
  }

  @Test
  void theFlinkConfigurationNamesZooKeeperOnlyWithHighAvailability() throws Exception {
    ClusterSettings ha = settings().withHighAvailability(2181);
    FlinkConfigFile.write(ha, tmp.resolve("ha-conf"));
    String yaml = Files.readString(tmp.resolve("ha-conf/config.yaml"));
    assertThat(yaml)
        .contains("high-availability.type: zookeeper")
        .contains("high-availability.zookeeper.quorum: localhost:2181")
        .contains("high-availability.storageDir: " + ha.highAvailabilityStorage().toUri())
        .contains("high-availability.zookeeper.client.session-timeout: 8000");
    FlinkConfigFile.write(settings(), tmp.resolve("plain-conf"));
    assertThat(Files.readString(tmp.resolve("plain-conf/config.yaml")))
        .doesNotContain("high-availability");
  }

  private static final String START =
      "[main] INFO org.apache.flink.runtime.entrypoint.ClusterEntrypoint -  Starting"
          + " StandaloneSessionClusterEntrypoint (Version: 2.2.1)\n";
  private static final String GRANTED =
      "[t] INFO org.apache.flink.runtime.dispatcher.DispatcherRestEndpoint - http://127.0.0.1:8081"
          + " was granted leadership with leaderSessionID=1\n";
  private static final String LOST =
      "[t] INFO org.apache.flink.runtime.dispatcher.DispatcherRestEndpoint - http://127.0.0.1:8081"
          + " lost leadership\n";
  private static final String OTHER_GRANTED =
      "[t] INFO org.apache.flink.runtime.resourcemanager.ResourceManagerServiceImpl - Resource"
          + " manager service is granted leadership with session id 1.\n";

  @Test
  void aJobManagerLeadsWhenItsRestEndpointWasGrantedLeadershipSinceItsLastStart() throws Exception {
    assertThat(leads(START + GRANTED)).isTrue();
    assertThat(leads(START)).as("a standby").isFalse();
    assertThat(leads(START + OTHER_GRANTED)).as("only the REST endpoint's line counts").isFalse();
    assertThat(leads(START + GRANTED + LOST)).as("revoked").isFalse();
    assertThat(leads(START + GRANTED + LOST + GRANTED)).as("granted again").isTrue();
    assertThat(leads(START + GRANTED + START)).as("led before a restart, standby now").isFalse();
    assertThat(JobManagers.leadsNow(tmp.resolve("missing.log"))).isFalse();
  }

  private boolean leads(String log) throws Exception {
    return JobManagers.leadsNow(Files.writeString(Files.createTempFile(tmp, "jm", ".log"), log));
  }
}
