package ai.hiformer.local.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real standalone Flink cluster (one JobManager, or two with a ZooKeeper server for high
 * availability; n TaskManagers) and KRaft Kafka brokers, each a separate JVM on loopback, started
 * from Maven-resolved jars the way Flink's and Kafka's own scripts start them (docs/STACK.md). Jobs
 * go in through Flink's own command-line client, {@code CliFrontend}.
 *
 * <p>Processes outlive the JVM that started them: their ids are kept in {@code home/pids}, so
 * {@code hiformer cluster stop} in another shell finds them. Each child carries {@code
 * -Dhiformer.cluster=<home>#<role>} on its command line; a pid whose process lacks it (the pid was
 * reused) is never signalled.
 */
public final class LocalCluster {
  /**
   * The JVM flags Flink's default config.yaml passes to all its processes on Java 17 ({@code
   * env.java.default-opts.all}).
   */
  static final List<String> FLINK_JAVA_OPTS =
      List.of(
          "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
          "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
          "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.text=ALL-UNNAMED",
          "--add-opens=java.base/java.time=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private final ClusterSettings settings;
  private final Processes processes;
  private final FlinkRest rest;
  private final LocalKafka kafka;
  private final JobManagers jobManagers;
  private final FlinkCli cli;

  public LocalCluster(ClusterSettings settings) {
    this.settings = settings;
    this.processes = new Processes(settings.home(), settings.logs());
    int[] restPorts = new int[settings.jobManagers()];
    for (int i = 0; i < restPorts.length; i++) {
      restPorts[i] = settings.restPort(i + 1);
    }
    this.rest = new FlinkRest(restPorts);
    this.kafka = new LocalKafka(settings, processes);
    this.jobManagers = new JobManagers(settings, processes, flinkConfDir());
    this.cli = new FlinkCli(settings, flinkConfDir());
  }

  /** The JobManager's REST API. */
  public FlinkRest flink() {
    return rest;
  }

  /** GETs a path of the JobManager's REST API and parses the JSON answer. */
  public JsonNode rest(String path) throws IOException {
    return rest.rest(path);
  }

  /** A job's state as the REST API reports it (RUNNING, RESTARTING, FINISHED, ...). */
  public String jobState(String jobId) throws IOException {
    return rest.jobState(jobId);
  }

  /** The job's checkpoint statistics ({@code /jobs/<id>/checkpoints}). */
  public JsonNode checkpoints(String jobId) throws IOException {
    return rest.checkpoints(jobId);
  }

  /** The numbers of the TaskManagers that run some of the job's tasks now. */
  public java.util.SortedSet<Integer> taskManagersOf(String jobId) throws IOException {
    return rest.taskManagersOf(jobId);
  }

  /** The running process of {@code role}, if any. */
  public Optional<ProcessHandle> find(String role) {
    return processes.find(role);
  }

  public ClusterSettings settings() {
    return settings;
  }

  public Path flinkConfDir() {
    return settings.home().resolve("flink-conf");
  }

  // ----------------------------------------------------------------------------------------------
  // whole cluster

  /**
   * Starts Kafka, the JobManager and the TaskManagers (those not running yet) and waits until all
   * are up.
   */
  public void start() throws IOException, InterruptedException {
    Files.createDirectories(settings.logs());
    Files.createDirectories(settings.home().resolve("pids"));
    writeFlinkConfig();
    boolean anyBroker = false;
    for (int i = 1; i <= settings.brokers(); i++) {
      if (find(LocalKafka.role(i)).isEmpty()) {
        Processes.requireFree(settings.brokerPort(i), "kafka-port (broker " + i + ")");
        Processes.requireFree(
            settings.brokerPort(i) + 1, "kafka-port (broker " + i + "'s KRaft controller)");
        anyBroker = true;
      }
    }
    if (anyBroker) {
      startKafka();
    }
    jobManagers.start();
    for (int i = 1; i <= settings.taskManagers(); i++) {
      if (find(taskManager(i)).isEmpty()) {
        startTaskManager(i);
      }
    }
    rest.awaitTaskManagers(settings.taskManagers(), Duration.ofSeconds(120), settings.logs());
  }

  /**
   * Stops every process of this cluster (SIGTERM, then SIGKILL after 20 s); returns how many there
   * were.
   */
  public int stop() throws InterruptedException {
    List<String> roles = new ArrayList<>();
    for (int i = 1; i <= Math.max(settings.taskManagers(), runningTaskManagerSlots()); i++) {
      roles.add(taskManager(i));
    }
    List<String> masters = new ArrayList<>(jobManagers.roles());
    java.util.Collections.reverse(masters); // JobManagers before the ZooKeeper they use
    roles.addAll(masters);
    for (int i = settings.brokers(); i >= 1; i--) {
      roles.add(LocalKafka.role(i));
    }
    int stopped = 0;
    for (String role : roles) {
      Optional<ProcessHandle> p = find(role);
      if (p.isPresent()) {
        Processes.terminate(p.get(), Duration.ofSeconds(20));
        stopped++;
      }
      processes.deletePid(role);
    }
    return stopped;
  }

  /** Each role with its pid, or -1 when not running. */
  public Map<String, Long> status() {
    Map<String, Long> m = new java.util.LinkedHashMap<>();
    for (int i = 1; i <= settings.brokers(); i++) {
      m.put(LocalKafka.role(i), find(LocalKafka.role(i)).map(ProcessHandle::pid).orElse(-1L));
    }
    for (String role : jobManagers.roles()) {
      m.put(role, find(role).map(ProcessHandle::pid).orElse(-1L));
    }
    for (int i = 1; i <= Math.max(settings.taskManagers(), runningTaskManagerSlots()); i++) {
      m.put(taskManager(i), find(taskManager(i)).map(ProcessHandle::pid).orElse(-1L));
    }
    return m;
  }

  // ---------------------------------------------------------------------------------------------------- Kafka

  /**
   * Starts the brokers not running (formatting storage the first time) and waits until they answer.
   */
  public void startKafka() throws IOException, InterruptedException {
    kafka.start();
  }

  /** Stops every broker: gracefully (SIGTERM, controlled shutdown) or by SIGKILL. */
  public void stopKafka(boolean graceful) throws InterruptedException {
    kafka.stop(graceful);
  }

  /** SIGKILLs broker {@code i} (from 1), like a lost machine; returns whether it was running. */
  public boolean killBroker(int i) throws InterruptedException {
    boolean running = find(LocalKafka.role(i)).isPresent();
    kafka.stop(i, false);
    return running;
  }

  /** Starts broker {@code i} (from 1) again and waits until it answers. */
  public void startBroker(int i) throws IOException, InterruptedException {
    kafka.start(i);
  }

  /** The broker (from 1) that leads partition {@code partition} of {@code topic} now. */
  public int leaderOf(String topic, int partition) throws Exception {
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(
            Map.of("bootstrap.servers", settings.bootstrapServers()))) {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get()
          .get(topic)
          .partitions()
          .get(partition)
          .leader()
          .id();
    }
  }

  /**
   * Creates topics that do not exist yet, with {@code partitions} partitions each, replicated as
   * the brokers are ({@link ClusterSettings#replicationFactor}).
   */
  public void createTopics(int partitions, String... topics) throws Exception {
    ai.hiformer.local.embedded.EmbeddedKafka.createTopics(
        settings.bootstrapServers(), partitions, Map.of(), topics);
  }

  // ---------------------------------------------------------------------------------------------------- Flink

  /** Writes {@code flink-conf/config.yaml} ({@link FlinkConfigFile}). */
  public void writeFlinkConfig() throws IOException {
    FlinkConfigFile.write(settings, flinkConfDir());
  }

  /** Starts JobManager {@code i} (from 1; 1 or 2 with HA) and waits until its REST API listens. */
  public void startJobManager(int i) throws IOException, InterruptedException {
    jobManagers.start(i);
  }

  /**
   * The JobManager (from 1) that leads now, if one does (with HA, none does for the ZooKeeper
   * session timeout after the leader died).
   */
  public java.util.OptionalInt leadingJobManager() throws IOException {
    return jobManagers.leader();
  }

  /**
   * SIGKILLs JobManager {@code i} (from 1), as a crashed machine would vanish; returns false if it
   * was not running. With HA the standby takes over its jobs; without, they are gone.
   */
  public boolean killJobManager(int i) {
    return kill(jobManagers.role(i));
  }

  /** Starts TaskManager {@code i} (1-based) as its own process. */
  public void startTaskManager(int i) throws IOException, InterruptedException {
    List<String> args =
        FlinkConfigFile.processArgs(
            settings,
            flinkConfDir(),
            "GET_TM_RESOURCE_PARAMS",
            "org.apache.flink.runtime.taskexecutor.TaskManagerRunner");
    // The REST API then names TaskManagers as this cluster does (see taskManagersOf).
    args.addAll(List.of("-D", "taskmanager.resource-id=" + taskManager(i)));
    processes.spawn(taskManager(i), args);
  }

  /**
   * Kills TaskManager {@code i} with SIGKILL, as a crashed machine would vanish; returns false if
   * it was not running.
   */
  public boolean killTaskManager(int i) {
    return kill(taskManager(i));
  }

  private boolean kill(String role) {
    Optional<ProcessHandle> p = find(role);
    p.ifPresent(
        h -> {
          h.destroyForcibly();
          h.onExit().join();
        });
    processes.deletePid(role);
    return p.isPresent();
  }

  /**
   * The job's arguments for this cluster, as {@code hiformer cluster submit} passes them: the
   * configuration file, the brokers, the feature spec, the parallelism, and the cluster's
   * checkpoint and snapshot folders. The model ids and any other key follow (a later key wins).
   */
  public List<String> jobArgs(Path config, Path spec, int parallelism) {
    return new ArrayList<>(
        List.of(
            "--config",
            config.toAbsolutePath().toString(),
            "--kafka.bootstrap-servers=" + settings.bootstrapServers(),
            "--job.feature-spec=" + spec.toAbsolutePath(),
            "--job.parallelism=" + parallelism,
            "--checkpoint.dir=" + settings.checkpoints().toUri(),
            "--snapshot.dir=" + settings.snapshots()));
  }

  /**
   * Submits the job jar through Flink's command-line client, detached, and returns the job id.
   *
   * @param savepoint a savepoint to start from, or null
   * @param jobArgs the job's arguments ({@code --config FILE --key=value ...})
   */
  public String submit(int parallelism, String savepoint, List<String> jobArgs)
      throws IOException, InterruptedException {
    return cli.submit(parallelism, savepoint, jobArgs);
  }

  /**
   * Stops the job with a savepoint (Flink's {@code stop --savepointPath}) and returns the
   * savepoint's path.
   */
  public String stopWithSavepoint(String jobId) throws IOException, InterruptedException {
    return cli.stopWithSavepoint(jobId);
  }

  public void cancel(String jobId) throws IOException, InterruptedException {
    cli.cancel(jobId);
  }

  // ------------------------------------------------------------------------------------------------ processes

  private static String taskManager(int i) {
    return "taskmanager-" + i;
  }

  /**
   * TaskManager numbers with a pid file (one may have been started beyond the configured count).
   */
  private int runningTaskManagerSlots() {
    try (var s = Files.list(settings.home().resolve("pids"))) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("taskmanager-"))
          .mapToInt(
              n ->
                  Integer.parseInt(
                      n.substring("taskmanager-".length(), n.length() - ".pid".length())))
          .max()
          .orElse(0);
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }
}
