package ai.hiformer.local.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The local cluster's Flink configuration file, and the JVM settings Flink derives from it. */
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
            highAvailability(settings));
    Files.writeString(confDir.resolve("config.yaml"), yaml);
  }

  /**
   * With HA: Flink's ZooKeeper HA services. A dead leader's session expires after 8 s (the
   * heartbeat timeout), and only then is the standby elected; Flink's 60 s default would leave the
   * jobs without a JobManager for a minute.
   */
  private static String highAvailability(ClusterSettings settings) {
    if (!settings.highAvailability()) {
      return "";
    }
    return String.join(
        "\n",
        "high-availability.type: zookeeper",
        "high-availability.zookeeper.quorum: localhost:" + settings.zooKeeperPort(),
        "high-availability.storageDir: " + settings.highAvailabilityStorage().toUri(),
        "high-availability.zookeeper.client.session-timeout: 8000",
        "");
  }

  private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

  /**
   * The command line of a Flink process, as {@code jobmanager.sh} and {@code taskmanager.sh} build
   * it: the JVM memory flags Flink's BashJavaUtils computes from config.yaml ({@code command}:
   * GET_JM_ or GET_TM_RESOURCE_PARAMS), the JVM options of Flink's default config, the class path
   * and {@code mainClass}, then the dynamic -D settings BashJavaUtils computes. One BashJavaUtils
   * run (a JVM start, about a second) gives both.
   */
  static List<String> processArgs(
      ClusterSettings settings, Path flinkConfDir, String command, String mainClass)
      throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                Processes.javaCommand(
                    List.of(
                        "-cp",
                        settings.flinkLib() + "/*",
                        "org.apache.flink.runtime.util.bash.BashJavaUtils",
                        command,
                        "--configDir",
                        flinkConfDir.toString())))
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("BashJavaUtils " + command + " failed: " + Processes.tail(out));
    }
    List<String> results =
        out.lines()
            .filter(l -> l.startsWith(RESULT_PREFIX))
            .map(l -> l.substring(RESULT_PREFIX.length()).trim())
            .toList();
    if (results.size() < 2) {
      throw new IOException(
          "BashJavaUtils " + command + " printed no resource settings: " + Processes.tail(out));
    }
    List<String> args = new ArrayList<>(words(results.get(results.size() - 2)));
    args.addAll(LocalCluster.FLINK_JAVA_OPTS);
    args.addAll(
        List.of(
            "-cp", settings.flinkLib() + "/*", mainClass, "--configDir", flinkConfDir.toString()));
    args.addAll(words(results.get(results.size() - 1)));
    return args;
  }

  private static List<String> words(String s) {
    return s.isEmpty() ? List.of() : Arrays.asList(s.split("\\s+"));
  }
}
