package ai.hiformer.local.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The JobManager side of a local cluster: one JobManager, or, with high availability, a ZooKeeper
 * server and two JobManagers that elect their leader through it (Flink's ZooKeeper HA services, as
 * Flink's own {@code start-zookeeper-quorum.sh} and {@code start-cluster.sh} with a {@code masters}
 * file would start them). The standby takes over a dead leader's jobs from the job graphs and
 * checkpoint pointers the leader kept in ZooKeeper and {@link
 * ClusterSettings#highAvailabilityStorage()}.
 */
final class JobManagers {
  static final String ZOOKEEPER = "zookeeper";

  /** The logger whose lines say when a JobManager's REST endpoint gains and loses leadership. */
  private static final String REST_ENDPOINT = "dispatcher.DispatcherRestEndpoint - ";

  /** What a JobManager logs first when it starts (the entry point's banner). */
  private static final String STARTING = "Starting StandaloneSessionClusterEntrypoint";

  private final ClusterSettings settings;
  private final Processes processes;
  private final Path confDir;

  JobManagers(ClusterSettings settings, Processes processes, Path confDir) {
    this.settings = settings;
    this.processes = processes;
    this.confDir = confDir;
  }

  /** JobManager {@code i}'s (from 1) role: "jobmanager" alone, "jobmanager-i" with HA. */
  String role(int i) {
    return settings.highAvailability() ? "jobmanager-" + i : "jobmanager";
  }

  /** ZooKeeper (with HA) and every JobManager role, in start order. */
  List<String> roles() {
    List<String> roles = new ArrayList<>();
    if (settings.highAvailability()) {
      roles.add(ZOOKEEPER);
    }
    for (int i = 1; i <= settings.jobManagers(); i++) {
      roles.add(role(i));
    }
    return roles;
  }

  /** Starts ZooKeeper (with HA) and the JobManagers that are not running. */
  void start() throws IOException, InterruptedException {
    if (settings.highAvailability() && processes.find(ZOOKEEPER).isEmpty()) {
      Processes.requireFree(settings.zooKeeperPort(), "zookeeper-port (JobManager HA)");
      startZooKeeper();
    }
    for (int i = 1; i <= settings.jobManagers(); i++) {
      if (processes.find(role(i)).isEmpty()) {
        Processes.requireFree(settings.restPort(i), "rest-port (Flink's REST API and web UI)");
        Processes.requireFree(settings.jobManagerRpcPort(i), "rpc-port (the JobManager's RPC)");
        start(i);
      }
    }
  }

  /** Starts JobManager {@code i} (from 1) and waits until its REST API listens. */
  void start(int i) throws IOException, InterruptedException {
    List<String> args =
        FlinkConfigFile.processArgs(
            settings,
            confDir,
            "GET_JM_RESOURCE_PARAMS",
            "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
    // Each JobManager of an HA pair on its own ports (config.yaml holds the first one's).
    int rpc = settings.jobManagerRpcPort(i);
    args.addAll(
        List.of(
            "-D", "rest.port=" + settings.restPort(i),
            "-D", "jobmanager.rpc.port=" + rpc,
            "-D", "high-availability.jobmanager.port=" + rpc));
    processes.spawn(role(i), args);
    processes.awaitPort(settings.restPort(i), Duration.ofSeconds(90), role(i));
  }

  /**
   * The JobManager (from 1) that leads now: the one alive whose REST endpoint was granted
   * leadership, and has not lost it, since the process last started. Empty while none is (an
   * election after a leader died waits for its ZooKeeper session to time out).
   */
  OptionalInt leader() throws IOException {
    for (int i = 1; i <= settings.jobManagers(); i++) {
      if (processes.find(role(i)).isPresent()
          && leadsNow(settings.logs().resolve(role(i) + ".log"))) {
        return OptionalInt.of(i);
      }
    }
    return OptionalInt.empty();
  }

  /**
   * Whether the JobManager writing {@code log} leads: its REST endpoint's last word on leadership
   * since its last start is that it was granted it. The log collects every run of the process, and
   * the lines carry no time, so lines before the last start say nothing about now.
   */
  static boolean leadsNow(Path log) throws IOException {
    if (!Files.exists(log)) {
      return false;
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    boolean leads = false;
    for (String line : text.substring(Math.max(0, text.lastIndexOf(STARTING))).split("\n")) {
      if (line.contains(REST_ENDPOINT)) {
        if (line.contains(" was granted leadership")) {
          leads = true;
        } else if (line.contains(" lost leadership")) {
          leads = false;
        }
      }
    }
    return leads;
  }

  /** Starts the ZooKeeper server the JobManagers elect their leader through. */
  private void startZooKeeper() throws IOException, InterruptedException {
    Path dir = settings.home().resolve("zookeeper");
    Files.createDirectories(dir.resolve("data"));
    Path cfg = dir.resolve("zoo.cfg");
    Files.writeString(
        cfg,
        String.join(
            "\n",
            "# Written by hiformer cluster start --ha",
            // Sessions may last 2..20 s; the JobManagers ask for 8 s (FlinkConfigFile).
            "tickTime=1000",
            "dataDir=" + dir.resolve("data"),
            "clientPort=" + settings.zooKeeperPort(),
            "clientPortAddress=localhost",
            // ZooKeeper's admin web server would take port 8080.
            "admin.enableServer=false",
            ""));
    processes.spawn(
        ZOOKEEPER,
        List.of(
            "-Xmx256m",
            "-cp",
            settings.flinkLib() + "/*",
            "org.apache.flink.runtime.zookeeper.FlinkZooKeeperQuorumPeer",
            "--zkConfigFile",
            cfg.toString(),
            "--peerId",
            "1"));
    processes.awaitPort(settings.zooKeeperPort(), Duration.ofSeconds(60), ZOOKEEPER);
  }
}
