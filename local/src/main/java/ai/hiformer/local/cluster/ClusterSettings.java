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
 * @param kafkaPort the first broker's client port; its KRaft controller listens on the next port,
 *     and broker i (from 1) on {@code kafkaPort + 2 (i − 1)} and the port after it
 * @param restPort the JobManager's REST API and web UI
 * @param jobManagerRpcPort the JobManager's RPC port
 * @param taskManagers how many TaskManager processes
 * @param slotsPerTaskManager task slots in each
 * @param brokers Kafka brokers (1..9; each also a KRaft controller). With 3 or more, topics are
 *     replicated 3 times and need 2 in-sync replicas to take a write
 * @param zooKeeperPort 0 for one JobManager without high availability; otherwise the client port of
 *     a ZooKeeper server that two JobManagers elect their leader with (Flink's ZooKeeper HA
 *     services). JobManager i (from 1) then listens on {@code restPort + i − 1} and {@code
 *     jobManagerRpcPort + i − 1}
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
    int slotsPerTaskManager,
    int brokers,
    int zooKeeperPort) {

  /**
   * One broker and no high availability; {@link #withBrokers} and {@link #withHighAvailability} add
   * them.
   */
  public static ClusterSettings of(
      Path home,
      Path flinkLib,
      Path kafkaLib,
      Path jobJar,
      int kafkaPort,
      int restPort,
      int jobManagerRpcPort,
      int taskManagers,
      int slotsPerTaskManager) {
    return new ClusterSettings(
        home,
        flinkLib,
        kafkaLib,
        jobJar,
        kafkaPort,
        restPort,
        jobManagerRpcPort,
        taskManagers,
        slotsPerTaskManager,
        1,
        0);
  }

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
    if (zooKeeperPort < 0 || zooKeeperPort > 65535) {
      throw new IllegalArgumentException(
          "invalid zookeeper-port " + zooKeeperPort + "; allowed: 1..65535, or 0 for no HA");
    }
    if (taskManagers < 1 || slotsPerTaskManager < 1) {
      throw new IllegalArgumentException("taskManagers and slotsPerTaskManager must be >= 1");
    }
    if (brokers < 1 || brokers > 9) {
      throw new IllegalArgumentException("invalid brokers = " + brokers + "; allowed: 1..9");
    }
    if (kafkaPort + 2 * brokers - 1 > 65535) {
      throw new IllegalArgumentException(
          "invalid kafka-port " + kafkaPort + " for " + brokers + " brokers: ports up to 65535");
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
    return of(
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
    return copy(kafka, rest, jobManagerRpc, brokers, zooKeeperPort);
  }

  /** These settings with {@code n} Kafka brokers. */
  public ClusterSettings withBrokers(int n) {
    return copy(kafkaPort, restPort, jobManagerRpcPort, n, zooKeeperPort);
  }

  /**
   * These settings with JobManager high availability: a ZooKeeper server on {@code zooKeeperPort}
   * and two JobManagers.
   */
  public ClusterSettings withHighAvailability(int zooKeeperPort) {
    return copy(kafkaPort, restPort, jobManagerRpcPort, brokers, zooKeeperPort);
  }

  private ClusterSettings copy(int kafka, int rest, int jobManagerRpc, int brokers, int zooKeeper) {
    return new ClusterSettings(
        home,
        flinkLib,
        kafkaLib,
        jobJar,
        kafka,
        rest,
        jobManagerRpc,
        taskManagers,
        slotsPerTaskManager,
        brokers,
        zooKeeper);
  }

  /** Whether two JobManagers elect a leader through ZooKeeper. */
  public boolean highAvailability() {
    return zooKeeperPort > 0;
  }

  /** JobManager processes: 2 with high availability (a leader and a standby), else 1. */
  public int jobManagers() {
    return highAvailability() ? 2 : 1;
  }

  /** JobManager {@code i}'s (from 1) REST API and web UI port. */
  public int restPort(int i) {
    return restPort + i - 1;
  }

  /** JobManager {@code i}'s (from 1) RPC port. */
  public int jobManagerRpcPort(int i) {
    return jobManagerRpcPort + i - 1;
  }

  /** Where the JobManagers keep job graphs and checkpoint metadata for a successor. */
  public Path highAvailabilityStorage() {
    return home.resolve("ha");
  }

  /** Broker {@code i}'s (from 1) client port; its controller listens on the next one. */
  public int brokerPort(int i) {
    return kafkaPort + 2 * (i - 1);
  }

  /** The replication factor of the topics: 3 with three brokers or more, else 1. */
  public int replicationFactor() {
    return brokers >= 3 ? 3 : 1;
  }

  /** In-sync replicas a write needs: 2 with three brokers or more, else 1. */
  public int minInSyncReplicas() {
    return brokers >= 3 ? 2 : 1;
  }

  public String bootstrapServers() {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= brokers; i++) {
      b.append(i == 1 ? "" : ",").append("localhost:").append(brokerPort(i));
    }
    return b.toString();
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
