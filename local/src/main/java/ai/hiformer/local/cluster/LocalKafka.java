package ai.hiformer.local.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;

/**
 * The local cluster's KRaft Kafka broker: one JVM on loopback, broker and controller in one, its
 * storage formatted the first time, started from the Maven-resolved Kafka jars.
 */
final class LocalKafka {
  private final ClusterSettings settings;
  private final Processes processes;

  LocalKafka(ClusterSettings settings, Processes processes) {
    this.settings = settings;
    this.processes = processes;
  }

  /** Starts the broker (formatting its storage the first time) and waits until it answers. */
  void start() throws IOException, InterruptedException {
    Path dir = settings.home().resolve("kafka");
    Path props = dir.resolve("server.properties");
    Path data = dir.resolve("data");
    Files.createDirectories(dir);
    int controller = settings.kafkaPort() + 1;
    Files.writeString(
        props,
        String.join(
            "\n",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@localhost:" + controller,
            "listeners=PLAINTEXT://localhost:"
                + settings.kafkaPort()
                + ",CONTROLLER://localhost:"
                + controller,
            "advertised.listeners=PLAINTEXT://localhost:" + settings.kafkaPort(),
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            "log.dirs=" + data,
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "message.max.bytes=16777216",
            ""));
    if (!Files.exists(data.resolve("meta.properties"))) {
      Process format =
          new ProcessBuilder(
                  Processes.javaCommand(
                      List.of(
                          "-cp",
                          settings.kafkaLib() + "/*",
                          "kafka.tools.StorageTool",
                          "format",
                          "-t",
                          Uuid.randomUuid().toString(),
                          "-c",
                          props.toString())))
              .redirectErrorStream(true)
              .redirectOutput(settings.logs().resolve("kafka-format.log").toFile())
              .start();
      if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
        throw new IOException(
            "formatting Kafka's storage failed; see "
                + settings.logs().resolve("kafka-format.log"));
      }
    }
    processes.spawn(
        "kafka",
        List.of("-Xmx768m", "-cp", settings.kafkaLib() + "/*", "kafka.Kafka", props.toString()));
    processes.awaitPort(settings.kafkaPort(), Duration.ofSeconds(60), "kafka");
  }

  /** Stops the broker: gracefully (SIGTERM, controlled shutdown) or by SIGKILL. */
  void stop(boolean graceful) throws InterruptedException {
    Optional<ProcessHandle> p = processes.find("kafka");
    if (p.isPresent()) {
      if (graceful) {
        Processes.terminate(p.get(), Duration.ofSeconds(60));
      } else {
        p.get().destroyForcibly();
        p.get().onExit().join();
      }
    }
    processes.deletePid("kafka");
  }
}
