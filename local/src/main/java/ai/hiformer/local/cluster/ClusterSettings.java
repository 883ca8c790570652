package ai.hiformer.local.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a {@link LocalCluster} keeps its files and which loopback ports it uses. Validated on
 * construction: a missing jar folder names the build step that makes it.
 *
 * @param home folder for configuration, logs, process ids, Kafka data, checkpoints, savepoints and
 *     snapshots
 * @param flinkLib the Flink distribution's jars ({@code flink-dist/target/lib})
 * @param kafkaLib the jars of a Kafka broker ({@code local/target/lib})
 * @param jobJar the job for {@code flink run} ({@code jobs/target/hiformer-jobs-flink.jar})
 * @param kafkaPort the broker's client port; the KRaft controller listens on the next port
 * @param restPort the JobManager's REST API and web UI
 * @param jobManagerRpcPort the JobManager's RPC port
 * @param taskManagers how many TaskManager processes
 * @param slotsPerTaskManager task slots in each
 */
public record ClusterSettings(
    Path home,
    Path flinkLib,
    Path kafkaLib,
    Path jobJar,
    int kafkaPort,
    int restPort,
    int jobManagerRpcPort,
    int taskManagers,
    int slotsPerTaskManager) {

  public ClusterSettings {
    home = home.toAbsolutePath().normalize();
    requireDirectory(
        flinkLib, "the Flink jars", "mvn -pl flink-dist package (./hiformer builds it)");
    requireDirectory(
        kafkaLib, "the Kafka broker jars", "mvn -pl local -am package (./hiformer builds it)");
    if (!Files.isRegularFile(jobJar)) {
      throw new IllegalArgumentException(
          "job jar " + jobJar + " does not exist; build it with mvn -pl jobs -am package");
    }
    for (int port : new int[] {kafkaPort, restPort, jobManagerRpcPort}) {
      if (port < 1 || port > 65534) {
        throw new IllegalArgumentException("invalid port " + port + "; allowed: 1..65534");
      }
    }
    if (taskManagers < 1 || slotsPerTaskManager < 1) {
      throw new IllegalArgumentException("taskManagers and slotsPerTaskManager must be >= 1");
    }
    flinkLib = flinkLib.toAbsolutePath().normalize();
    kafkaLib = kafkaLib.toAbsolutePath().normalize();
    jobJar = jobJar.toAbsolutePath().normalize();
  }

  /**
   * The defaults for a project checkout at {@code root}: Kafka on 9092, Flink's web UI on 8081, 2 ×
   * 2 slots.
   */
  public static ClusterSettings defaults(Path root, Path home) {
    return new ClusterSettings(
        home,
        root.resolve("flink-dist/target/lib"),
        root.resolve("local/target/lib"),
        root.resolve("jobs/target/hiformer-jobs-flink.jar"),
        9092,
        8081,
        6123,
        2,
        2);
  }

  public ClusterSettings withPorts(int kafka, int rest, int jobManagerRpc) {
    return new ClusterSettings(
        home,
        flinkLib,
        kafkaLib,
        jobJar,
        kafka,
        rest,
        jobManagerRpc,
        taskManagers,
        slotsPerTaskManager);
  }

  public String bootstrapServers() {
    return "localhost:" + kafkaPort;
  }

  public Path checkpoints() {
    return home.resolve("checkpoints");
  }

  public Path savepoints() {
    return home.resolve("savepoints");
  }

  public Path snapshots() {
    return home.resolve("snapshots");
  }

  public Path logs() {
    return home.resolve("log");
  }

  private static void requireDirectory(Path p, String what, String howToBuild) {
    if (!Files.isDirectory(p)) {
      throw new IllegalArgumentException(
          what + " are missing (" + p + "); build them with " + howToBuild);
    }
  }
}
