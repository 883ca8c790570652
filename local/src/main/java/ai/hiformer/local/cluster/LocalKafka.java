package ai.hiformer.local.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;

/**
 * The local cluster's KRaft Kafka brokers: one JVM each on loopback, broker and controller in one,
 * started from the Maven-resolved Kafka jars, their storage formatted the first time with one
 * cluster id. With three or more, the controllers form a quorum and topics (the transaction and
 * offsets logs included) are replicated 3 times with 2 in-sync replicas required, so a broker can
 * die without losing a committed record or stopping writes.
 */
final class LocalKafka {
  private final ClusterSettings settings;
  private final Processes processes;

  LocalKafka(ClusterSettings settings, Processes processes) {
    this.settings = settings;
    this.processes = processes;
  }

  /** The process role of broker {@code i} (from 1): "kafka" for the first, as with one broker. */
  static String role(int i) {
    return i == 1 ? "kafka" : "kafka-" + i;
  }

  /**
   * Starts the brokers not running (formatting storage the first time); waits until they answer.
   */
  void start() throws IOException, InterruptedException {
    List<Integer> started = new ArrayList<>();
    for (int i = 1; i <= settings.brokers(); i++) {
      if (processes.find(role(i)).isEmpty()) {
        spawn(i);
        started.add(i);
      }
    }
    // A broker opens its client port once the controllers' quorum has formed: start all first.
    for (int i : started) {
      processes.awaitPort(settings.brokerPort(i), Duration.ofSeconds(90), role(i));
    }
  }

  /** Starts broker {@code i} (from 1) and waits until it answers. */
  void start(int i) throws IOException, InterruptedException {
    spawn(i);
    processes.awaitPort(settings.brokerPort(i), Duration.ofSeconds(90), role(i));
  }

  private void spawn(int i) throws IOException, InterruptedException {
    Path dir =
        settings.brokers() == 1
            ? settings.home().resolve("kafka")
            : settings.home().resolve("kafka").resolve("broker-" + i);
    Path props = dir.resolve("server.properties");
    Path data = dir.resolve("data");
    Files.createDirectories(dir);
    Files.writeString(props, properties(i, data));
    if (!Files.exists(data.resolve("meta.properties"))) {
      format(i, props);
    }
    processes.spawn(
        role(i),
        List.of("-Xmx768m", "-cp", settings.kafkaLib() + "/*", "kafka.Kafka", props.toString()));
  }

  private String properties(int i, Path data) {
    int port = settings.brokerPort(i);
    List<String> voters = new ArrayList<>();
    for (int v = 1; v <= settings.brokers(); v++) {
      voters.add(v + "@localhost:" + (settings.brokerPort(v) + 1));
    }
    int rf = settings.replicationFactor();
    int isr = settings.minInSyncReplicas();
    return String.join(
        "\n",
        "process.roles=broker,controller",
        "node.id=" + i,
        "controller.quorum.voters=" + String.join(",", voters),
        "listeners=PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + (port + 1),
        "advertised.listeners=PLAINTEXT://localhost:" + port,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        "log.dirs=" + data,
        "default.replication.factor=" + rf,
        "min.insync.replicas=" + isr,
        "offsets.topic.replication.factor=" + rf,
        "transaction.state.log.replication.factor=" + rf,
        "transaction.state.log.min.isr=" + isr,
        // A replica that misses a leader change must not become leader and lose records.
        "unclean.leader.election.enable=false",
        "group.initial.rebalance.delay.ms=0",
        "message.max.bytes=16777216",
        "");
  }

  /** Formats broker {@code i}'s storage with the cluster's id (written the first time). */
  private void format(int i, Path props) throws IOException, InterruptedException {
    Path idFile = settings.home().resolve("kafka").resolve("cluster-id");
    if (!Files.exists(idFile)) {
      Files.writeString(idFile, Uuid.randomUuid().toString());
    }
    String clusterId = Files.readString(idFile).trim();
    Path log = settings.logs().resolve(role(i) + "-format.log");
    Process format =
        new ProcessBuilder(
                Processes.javaCommand(
                    List.of(
                        "-cp",
                        settings.kafkaLib() + "/*",
                        "kafka.tools.StorageTool",
                        "format",
                        "-t",
                        clusterId,
                        "-c",
                        props.toString())))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
      throw new IOException("formatting Kafka's storage failed; see " + log);
    }
  }

  /** Stops every broker: gracefully (SIGTERM, controlled shutdown) or by SIGKILL. */
  void stop(boolean graceful) throws InterruptedException {
    for (int i = settings.brokers(); i >= 1; i--) {
      stop(i, graceful);
    }
  }

  /** Stops broker {@code i} (from 1): gracefully or by SIGKILL, like a lost machine. */
  void stop(int i, boolean graceful) throws InterruptedException {
    Optional<ProcessHandle> p = processes.find(role(i));
    if (p.isPresent()) {
      if (graceful) {
        Processes.terminate(p.get(), Duration.ofSeconds(60));
      } else {
        p.get().destroyForcibly();
        p.get().onExit().join();
      }
    }
    processes.deletePid(role(i));
  }
}
