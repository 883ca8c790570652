package ai.hiformer.local.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The local cluster's Flink configuration file. */
final class FlinkConfigFile {
  private FlinkConfigFile() {}

  /**
   * Writes {@code flink-conf/config.yaml}: loopback addresses, ports, memory, fast failure
   * detection.
   */
  static void write(ClusterSettings settings, Path confDir) throws IOException {
    Files.createDirectories(confDir);
    Path tmp = settings.home().resolve("tmp");
    Files.createDirectories(tmp);
    String yaml =
        String.join(
            "\n",
            "# Written by hiformer cluster start; edit ClusterSettings instead.",
            "jobmanager.rpc.address: localhost",
            "jobmanager.rpc.port: " + settings.jobManagerRpcPort(),
            "jobmanager.bind-host: localhost",
            "jobmanager.memory.process.size: 1024m",
            "taskmanager.bind-host: localhost",
            "taskmanager.host: localhost",
            "taskmanager.numberOfTaskSlots: " + settings.slotsPerTaskManager(),
            "taskmanager.memory.process.size: 1728m",
            "taskmanager.memory.managed.fraction: 0.2",
            "rest.address: localhost",
            "rest.bind-address: localhost",
            "rest.port: " + settings.restPort(),
            "parallelism.default: " + settings.taskManagers(),
            "io.tmp.dirs: " + tmp,
            "web.tmpdir: " + tmp,
            "execution.checkpointing.dir: " + settings.checkpoints().toUri(),
            "execution.checkpointing.savepoint-dir: " + settings.savepoints().toUri(),
            // Where a job with changelog checkpoints (the exactly-once default) keeps its
            // changelog: TaskManager options, which a job's own configuration cannot set (without
            // them Flink keeps the changelog in memory, inside the checkpoints, and the job's
            // learner refuses to start).
            "state.changelog.storage: filesystem",
            "dstl.dfs.base-path: " + settings.checkpoints().resolve("changelog").toUri(),
            // A killed TaskManager is noticed within seconds instead of Flink's 50 s default.
            // Spread a job's slots over all TaskManagers (each holds a share of the job, as on a
            // real cluster).
            "taskmanager.load-balance.mode: SLOTS",
            "heartbeat.interval: 1000",
            "heartbeat.timeout: 8000",
            "metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
            "metrics.reporter.prom.port: 9249-9269",
            "");
    Files.writeString(confDir.resolve("config.yaml"), yaml);
  }
}
