package ai.hiformer.local.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flink's own command-line client ({@code CliFrontend}, as {@code bin/flink} runs it) with a local
 * cluster's configuration: submit, stop with a savepoint, cancel. With HA it finds the leading
 * JobManager through ZooKeeper, as any client of such a cluster does.
 */
final class FlinkCli {
  private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");
  private static final Pattern SAVEPOINT = Pattern.compile("Savepoint completed\\. Path: (\\S+)");

  private final ClusterSettings settings;
  private final Path confDir;

  FlinkCli(ClusterSettings settings, Path confDir) {
    this.settings = settings;
    this.confDir = confDir;
  }

  /**
   * Submits the job jar through Flink's command-line client, detached, and returns the job id.
   *
   * @param savepoint a savepoint to start from, or null
   * @param jobArgs the job's arguments ({@code --config FILE --key=value ...})
   */
  String submit(int parallelism, String savepoint, List<String> jobArgs)
      throws IOException, InterruptedException {
    List<String> cli = new ArrayList<>(List.of("run", "-d", "-p", Integer.toString(parallelism)));
    if (savepoint != null) {
      cli.addAll(List.of("-s", savepoint));
    }
    cli.addAll(List.of("-c", "ai.hiformer.jobs.stream.StreamingJob", settings.jobJar().toString()));
    cli.addAll(jobArgs);
    String out = flinkCli(cli, "flink-run");
    Matcher m = JOB_ID.matcher(out);
    if (!m.find()) {
      throw new IOException("flink run did not report a job id:\n" + Processes.tail(out));
    }
    return m.group(1);
  }

  /**
   * Stops the job with a savepoint (Flink's {@code stop --savepointPath}) and returns the
   * savepoint's path.
   */
  String stopWithSavepoint(String jobId) throws IOException, InterruptedException {
    String out =
        flinkCli(
            List.of("stop", "--savepointPath", settings.savepoints().toUri().toString(), jobId),
            "flink-stop");
    Matcher m = SAVEPOINT.matcher(out);
    if (!m.find()) {
      throw new IOException("flink stop did not report a savepoint:\n" + Processes.tail(out));
    }
    return m.group(1);
  }

  void cancel(String jobId) throws IOException, InterruptedException {
    flinkCli(List.of("cancel", jobId), "flink-cancel");
  }

  /** Runs Flink's CLI with this cluster's configuration; returns its output, or fails with it. */
  private String flinkCli(List<String> cliArgs, String logName)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(LocalCluster.FLINK_JAVA_OPTS);
    args.addAll(
        List.of("-cp", settings.flinkLib() + "/*", "org.apache.flink.client.cli.CliFrontend"));
    args.addAll(cliArgs);
    Path log = settings.logs().resolve(logName + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(Processes.javaCommand(args))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("FLINK_CONF_DIR", confDir.toString());
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException("flink " + cliArgs.get(0) + " did not finish in 5 minutes; see " + log);
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException(
          "flink "
              + cliArgs.get(0)
              + " failed (exit "
              + p.exitValue()
              + "); see "
              + log
              + ":\n"
              + Processes.tail(out));
    }
    return out;
  }
}
