package ai.hiformer.cli;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.local.cluster.ClusterSettings;
import ai.hiformer.local.cluster.LocalCluster;
import ai.hiformer.local.embedded.ReplaySource;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code hiformer cluster ...}: a real standalone Flink cluster (JobManager + TaskManagers) and a
 * Kafka broker as separate processes on this machine ({@link LocalCluster}), and the operations one
 * does on a cluster: submit, stop with a savepoint, resume, kill a TaskManager, restart Kafka.
 */
public final class ClusterCommand implements Command {
  static final Set<String> VALUED =
      Set.of(
          "home",
          "kafka-port",
          "brokers",
          "zookeeper-port",
          "rest-port",
          "rpc-port",
          "task-managers",
          "slots",
          "config",
          "spec",
          "parallelism",
          "savepoint",
          "minutes",
          "seed",
          "rate",
          "out",
          "from-csv",
          "dashboard");
  static final Set<String> FLAGS = Set.of("help", "ha", "quiet", "replay-time");
  static final String USAGE =
      """
      Usage: hiformer cluster <action> [options]
        start               start Kafka (KRaft), a Flink JobManager and TaskManagers as processes, and the topics
                            --kafka-port 9092 --rest-port 8081 --rpc-port 6123 --task-managers 2 --slots 2
                            --brokers 1 (3: topics replicated 3 times, 2 in sync; broker i on kafka-port + 2(i-1))
                            --ha: two JobManagers (REST/RPC ports +0 and +1) electing a leader in ZooKeeper
                            (--zookeeper-port 2181); a standby takes over the jobs of a dead leader
        submit              submit the job jar with Flink's CLI (flink run -d); prints the job id
                            --config conf/job.properties --spec SPEC.json --parallelism 2 [--savepoint PATH]
                            anything after -- goes to the job as it is, e.g. -- --checkpoint.interval-ms=5000
        status              processes, jobs and their checkpoints
        kill-taskmanager N  SIGKILL TaskManager N (as a crashed machine); the job recovers on the others
        start-taskmanager N start TaskManager N again (or an extra one)
        restart-kafka       stop the brokers (controlled shutdown) and start them again on the same data
        kill-jobmanager [N] SIGKILL JobManager N (default: the leader); with --ha the standby takes over
        start-jobmanager N  start JobManager N again (it joins as the standby)
        kill-broker N       SIGKILL broker N (with 3 brokers nothing is lost; leaders move to the others)
        start-broker N      start broker N again
        chaos               a chaos run: its own job and a paced stream (labels on their topic) while faults fall
                            at random times (TaskManager, JobManager with --ha, broker with --brokers 3 kills,
                            each restarted after up to 15 s; savepoint resumes); then a checker reads the whole
                            history: lost, duplicated, examples learned twice, recovery time per fault kind
                            --minutes 20 --seed 1 --rate 200 [--out runs/cluster/chaos/chaos-seed1.json]
                            --quiet: the same without faults (a control run: the checker must find nothing)
                            --replay-time: events keep the generated stream's times (default: the wall clock's)
                            --dashboard FILE.png: a Prometheus (Debian's) scrapes the run; the Grafana dashboard's
                            panels are drawn from it at the end (dashboards/hiformer.json, without Grafana)
        soak                its own job under steady traffic with vocabulary turnover (labels on their topic),
                            sampled each minute: heap after GC, RocksDB disk, checkpoint size, threads, file
                            descriptors; fails if one leaves +-10 % of its level at minute 10
                            --minutes 60 --rate 1000 [--out runs/cluster/soak] (soak.csv, soak.svg, soak.json)
                            --from-csv FILE: the report, plot and JSON of an earlier soak's CSV again
        stop-job JOB_ID     stop the job with a savepoint (resume with submit --savepoint PATH)
        stop                stop every process of the cluster (its files stay in --home)
      Common: --home runs/cluster (configuration, logs, checkpoints, savepoints, snapshots)
      The web UI is at http://localhost:8081; ./hiformer replay feeds events, ./hiformer watch shows scores.
      """;
  static final List<String> TOPICS =
      List.of("events", "labels", "scores", "dead-letters", "model-updates");

  @Override
  public String name() {
    return "cluster";
  }

  @Override
  public String summary() {
    return "a real standalone Flink cluster + Kafka broker as processes here: start, submit, stop, ...";
  }

  /**
   * Parses its own arguments: an action, perhaps a positional argument, options, then job options
   * after --.
   */
  @Override
  public int run(String[] args) throws Exception {
    int dashDash = Arrays.asList(args).indexOf("--");
    String[] own = dashDash < 0 ? args : Arrays.copyOf(args, dashDash);
    List<String> jobExtra =
        dashDash < 0 ? List.of() : Arrays.asList(args).subList(dashDash + 1, args.length);
    if (own.length < 2 || own[1].equals("--help")) {
      System.out.println(USAGE);
      return own.length < 2 ? 2 : 0;
    }
    String action = own[1];
    int positional =
        Set.of(
                    "kill-taskmanager",
                    "start-taskmanager",
                    "start-jobmanager",
                    "kill-broker",
                    "start-broker",
                    "stop-job")
                .contains(action)
            ? 1
            : 0;
    if (action.equals("kill-jobmanager") && own.length > 2 && !own[2].startsWith("--")) {
      positional = 1; // which one is optional: the leader by default
    }
    if (own.length < 2 + positional || (positional == 1 && own[2].startsWith("--"))) {
      throw new Options.UsageException(
          "cluster " + action + " needs an argument; see hiformer cluster --help");
    }
    Options o = new Options("cluster " + action, own, 2 + positional, VALUED, FLAGS);
    if (o.has("help")) {
      System.out.println(USAGE);
      return 0;
    }
    Path root = ai.hiformer.local.ProjectRoot.path();
    Path home =
        Paths.get(o.get("home", root.resolve("runs/cluster").toString()))
            .toAbsolutePath()
            .normalize();
    LocalCluster cluster =
        new LocalCluster(SavedClusterSettings.load(root, home, o, action.equals("start")));
    switch (action) {
      case "start" -> start(cluster);
      case "submit" -> submit(cluster, root, o, jobExtra);
      case "status" -> status(cluster);
      case "kill-taskmanager" -> {
        int n = taskManagerNumber(own[2]);
        System.out.println(
            cluster.killTaskManager(n)
                ? "TaskManager " + n + " killed (SIGKILL)"
                : "TaskManager " + n + " was not running");
      }
      case "start-taskmanager" -> {
        cluster.startTaskManager(taskManagerNumber(own[2]));
        System.out.println(
            "TaskManager "
                + own[2]
                + " starting; it registers with the JobManager in a few seconds");
      }
      case "restart-kafka" -> {
        cluster.stopKafka(true);
        System.out.println("Kafka stopped; starting it again");
        cluster.startKafka();
        System.out.println("Kafka is back at " + cluster.settings().bootstrapServers());
      }
      case "chaos" -> {
        return ChaosAction.run(cluster, root, o);
      }
      case "soak" -> {
        return SoakAction.run(cluster, root, o);
      }
      case "kill-jobmanager" -> killJobManager(cluster, positional == 1 ? own[2] : null);
      case "start-jobmanager" -> {
        int n = jobManagerNumber(cluster, own[2]);
        cluster.startJobManager(n);
        System.out.println("JobManager " + n + " is up; it leads if no other JobManager does");
      }
      case "kill-broker" -> {
        int n = brokerNumber(cluster, own[2]);
        System.out.println(
            cluster.killBroker(n)
                ? "Broker " + n + " killed (SIGKILL)"
                : "Broker " + n + " was not running");
      }
      case "start-broker" -> {
        cluster.startBroker(brokerNumber(cluster, own[2]));
        System.out.println("Broker " + own[2] + " is back");
      }
      case "stop-job" ->
          System.out.println(
              "Stopped with savepoint "
                  + cluster.stopWithSavepoint(own[2])
                  + "\nResume: ./hiformer cluster submit --savepoint <that path> [--parallelism N]");
      case "stop" ->
          System.out.println("Stopped " + cluster.stop() + " processes; files stay in " + home);
      default ->
          throw new Options.UsageException(
              "unknown cluster action '"
                  + action
                  + "'; allowed: start, submit, status, kill-taskmanager, start-taskmanager, restart-kafka,"
                  + " kill-jobmanager, start-jobmanager, kill-broker, start-broker, chaos, soak, stop-job, stop");
    }
    return 0;
  }

  private static void start(LocalCluster cluster) throws Exception {
    ClusterSettings s = cluster.settings();
    System.out.println(
        "Starting Kafka, a Flink JobManager and "
            + s.taskManagers()
            + " TaskManagers in "
            + s.home()
            + " (about 30 s) ...");
    cluster.start();
    cluster.createTopics(s.taskManagers(), TOPICS.toArray(String[]::new));
    System.out.printf(
        """
        Up:
          Kafka           %s   (topics %s)
          Flink web UI    http://localhost:%d   (%d TaskManagers x %d slots)%s
          logs            %s
        Next:
          ./hiformer cluster submit            # the job, with Flink's own CLI
          ./hiformer replay --rate 1000        # events into Kafka
          ./hiformer watch                     # scores coming out
          ./hiformer cluster kill-taskmanager 1   # and watch the job recover
        %n""",
        s.bootstrapServers(),
        TOPICS,
        s.restPort(),
        s.taskManagers(),
        s.slotsPerTaskManager(),
        s.highAvailability()
            ? String.format(
                "%n  JobManagers     2, REST on %d and %d; leader elected in ZooKeeper at localhost:%d",
                s.restPort(1), s.restPort(2), s.zooKeeperPort())
            : "",
        s.logs());
  }

  private static void submit(LocalCluster cluster, Path root, Options o, List<String> extra)
      throws Exception {
    ClusterSettings s = cluster.settings();
    Path config =
        Paths.get(o.get("config", root.resolve("conf/job.properties").toString())).toAbsolutePath();
    if (!Files.isRegularFile(config)) {
      throw new Options.UsageException("cluster submit: --config " + config + " does not exist");
    }
    // The same default as replay: MovieLens when the shared data is there, otherwise the generated
    // stream (both under the project root); a spec the user names is relative to the working
    // directory, as resolve read it.
    ReplaySource source = ReplaySource.resolve(null, o.get("spec", null));
    Path spec = source.specPath().toAbsolutePath();
    FeatureSpec fs = FeatureSpec.load(spec);
    int parallelism = o.integer("parallelism", s.taskManagers(), 1);
    List<String> args = cluster.jobArgs(config, spec, parallelism);
    args.add("--job.model-ids=" + fs.name());
    args.addAll(extra);
    String jobId = cluster.submit(parallelism, o.get("savepoint", null), args);
    System.out.printf(
        """
        Submitted job %s (parallelism %d, model id %s)%s
          web UI      http://localhost:%d/#/job/running/%s/overview
          snapshots   %s   (serve them: ./hiformer serve --snapshots %s)
        %n""",
        jobId,
        parallelism,
        fs.name(),
        o.has("savepoint") ? " from savepoint " + o.get("savepoint", "") : "",
        s.restPort(),
        jobId,
        s.snapshots(),
        s.snapshots());
  }

  private static void status(LocalCluster cluster) {
    for (Map.Entry<String, Long> e : cluster.status().entrySet()) {
      System.out.printf(
          "  %-14s %s%n", e.getKey(), e.getValue() < 0 ? "not running" : "pid " + e.getValue());
    }
    try {
      if (cluster.settings().highAvailability()) {
        System.out.println(
            "  leader: "
                + cluster.leadingJobManager().stream()
                    .mapToObj(i -> "JobManager " + i)
                    .findFirst()
                    .orElse("none elected yet"));
      }
      JsonNode overview = cluster.rest("/overview");
      System.out.printf(
          "  Flink: %d TaskManagers, %d/%d slots free%n",
          overview.path("taskmanagers").asInt(),
          overview.path("slots-available").asInt(),
          overview.path("slots-total").asInt());
      for (JsonNode job : cluster.rest("/jobs/overview").path("jobs")) {
        String id = job.path("jid").asText();
        JsonNode counts = cluster.checkpoints(id).path("counts");
        String state = job.path("state").asText();
        System.out.printf(
            "  job %s %-10s %s  checkpoints completed %d, failed %d, restored %d%s%n",
            id,
            state,
            job.path("name").asText(),
            counts.path("completed").asLong(),
            counts.path("failed").asLong(),
            counts.path("restored").asLong(),
            state.equals("RUNNING") ? "; on TaskManagers " + cluster.taskManagersOf(id) : "");
      }
    } catch (IOException e) {
      System.out.println("  Flink REST API not answering: " + e);
    }
  }

  private static int taskManagerNumber(String s) {
    try {
      int n = Integer.parseInt(s);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new Options.UsageException("invalid TaskManager number '" + s + "'; allowed: 1, 2, ...");
  }

  private static void killJobManager(LocalCluster cluster, String number) throws IOException {
    int n;
    if (number != null) {
      n = jobManagerNumber(cluster, number);
    } else {
      n =
          cluster
              .leadingJobManager()
              .orElseThrow(
                  () ->
                      new Options.UsageException(
                          "no JobManager leads now (an election takes up to 8 s); name one: "
                              + "kill-jobmanager N"));
    }
    System.out.println(
        cluster.killJobManager(n)
            ? "JobManager " + n + " killed (SIGKILL)"
            : "JobManager " + n + " was not running");
    if (cluster.settings().highAvailability()) {
      System.out.println(
          "The standby is elected once the dead leader's ZooKeeper session expires (8 s), then"
              + " restores the jobs from their last checkpoint");
    }
  }

  private static int jobManagerNumber(LocalCluster cluster, String s) {
    int jobManagers = cluster.settings().jobManagers();
    return number(
        s,
        jobManagers,
        "JobManager",
        jobManagers == 1 ? " (start the cluster with --ha for two)" : "");
  }

  private static int brokerNumber(LocalCluster cluster, String s) {
    return number(s, cluster.settings().brokers(), "broker", " (the cluster's brokers)");
  }

  /** {@code s} as a number in 1..max, or a usage error naming {@code what} and the range. */
  private static int number(String s, int max, String what, String hint) {
    try {
      int n = Integer.parseInt(s);
      if (n >= 1 && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new Options.UsageException(
        "invalid " + what + " number '" + s + "'; allowed: 1.." + max + hint);
  }
}
