package ai.hiformer.cli.stream;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CPU time of this process's threads over an interval, grouped by what each thread does: one
 * group per Flink operator chain (its task thread, and its source's fetcher), the job's Kafka
 * producers, the broker, the load generator, the rest of Flink (JobManager, RPC, REST), the JVM
 * (collector, compilers, VM thread) and RocksDB's native threads.
 *
 * <p>Java threads are read through {@link ThreadMXBean} (full names); threads the JVM does not list
 * (the collector's, the compilers', RocksDB's) from {@code /proc/self/task} (Linux; elsewhere they
 * fall into "unattributed"). What no live thread accounts for (threads that ended during the
 * interval) is "unattributed": the process's total from {@code /proc/self/stat} minus the groups.
 */
public final class ThreadCpu {
  /** The group of the job's operators that are not tasks or fetchers of a named chain. */
  public static final String JOB_PRODUCERS = "job: Kafka producers (sinks)";

  public static final String JOB_CHECKPOINTS = "job: checkpoint threads";
  public static final String ROCKSDB = "job: RocksDB background threads";
  public static final String BROKER = "Kafka broker";
  public static final String LOAD = "load generator and latency consumer";
  public static final String FLINK_OTHER = "Flink runtime (JobManager, RPC, REST, timers)";
  public static final String JVM_COLLECTOR = "JVM garbage collector";
  public static final String JVM_COMPILER = "JVM compilers (JIT)";
  public static final String JVM_OTHER = "JVM (VM thread, periodic tasks)";
  public static final String UNATTRIBUTED = "unattributed (threads that ended)";

  /** Groups that belong to the job as a TaskManager would run it. */
  public static boolean isJob(String group) {
    return group.startsWith("job: ");
  }

  /** CPU nanoseconds per thread at one moment, with the process's total. */
  public record Sample(
      Map<Long, Long> javaNanos,
      Map<Long, String> javaNames,
      Map<Integer, Long> nativeNanos,
      Map<Integer, String> nativeGroups,
      long processNanos,
      long wallNanos) {}

  private static final Pattern FETCHER =
      Pattern.compile("^Source Data Fetcher for (.*) \\(\\d+/\\d+\\)#\\d+$");
  private static final Pattern TASK = Pattern.compile("^(.*) \\(\\d+/\\d+\\)#\\d+$");
  private static final Pattern PRODUCER =
      Pattern.compile("^kafka-producer-network-thread \\| (.*)$");
  private static final Pattern CONSUMER =
      Pattern.compile("^(kafka-coordinator-heartbeat-thread|consumer_background_thread) \\| (.*)$");

  /** Client ids and group ids the load generator uses start with this. */
  public static final String LOAD_CLIENT_PREFIX = "bench";

  private static final List<String> BROKER_PREFIXES =
      List.of(
          "data-plane-",
          "kafka-",
          "ExpirationReaper",
          "broker-",
          "controller-",
          "quorum-controller",
          "raft-",
          "LogDirFailureHandler",
          "group-coordinator",
          "share-coordinator",
          "transaction-",
          "TxnMarkerSender",
          "ReplicaFetcher",
          "executor-",
          "metrics-",
          "feature-zk",
          "node-",
          "SnapshotGenerator",
          "share-group",
          "client-metrics-reaper",
          "network-partition-metadata",
          "persister-");

  private static final List<String> FLINK_PREFIXES =
      List.of(
          "flink-",
          "pekko",
          "jobmanager",
          "mini-cluster",
          "Checkpoint Timer",
          "Flink ",
          "Timer-",
          "taskmanager",
          "Thread-",
          "cluster-io",
          "IOManager",
          "FileCache",
          "BLOB",
          "ForkJoinPool",
          "Cleaner",
          "process reaper",
          "Attach",
          "Signal",
          "Finalizer",
          "Reference Handler",
          "Common-Cleaner",
          "Notification",
          "OkHttp",
          "HttpClient",
          "CloseableReaperThread",
          "SourceCoordinator",
          "Flink-Metric");

  private ThreadCpu() {}

  /**
   * The group a Java thread belongs to, from its name.
   *
   * @param name the thread's full name
   */
  public static String groupOf(String name) {
    Matcher m = FETCHER.matcher(name);
    if (m.matches()) {
      return "job: " + m.group(1) + " [Kafka fetcher]";
    }
    m = PRODUCER.matcher(name);
    if (m.matches()) {
      return m.group(1).startsWith(LOAD_CLIENT_PREFIX) ? LOAD : JOB_PRODUCERS;
    }
    if (name.startsWith("kafka-admin-client-thread | ")) {
      // The Kafka sources' split enumerators run on the JobManager.
      return name.contains("| " + LOAD_CLIENT_PREFIX) ? LOAD : FLINK_OTHER;
    }
    m = CONSUMER.matcher(name);
    if (m.matches()) {
      return m.group(2).startsWith(LOAD_CLIENT_PREFIX) ? LOAD : "job: Kafka consumers";
    }
    if (name.startsWith("AsyncOperations")
        || name.startsWith("Channel state writer")
        || name.startsWith("Flink-RocksDBStateDataTransfer")) {
      return JOB_CHECKPOINTS;
    }
    m = TASK.matcher(name);
    if (m.matches()) {
      return "job: " + m.group(1);
    }
    if (name.equals("main") || name.startsWith("visible-latency") || name.startsWith("bench")) {
      return LOAD;
    }
    for (String p : BROKER_PREFIXES) {
      if (name.startsWith(p)) {
        return BROKER;
      }
    }
    for (String p : FLINK_PREFIXES) {
      if (name.startsWith(p)) {
        return FLINK_OTHER;
      }
    }
    return "other: " + name.replaceAll("[0-9]+", "N");
  }

  /**
   * The group of a thread the JVM does not list, from its kernel name ({@code comm}, 15
   * characters), or null for a name that may be a Java thread's.
   */
  static String nativeGroupOf(String comm) {
    if (comm.startsWith("rocksdb:")) {
      return ROCKSDB;
    }
    if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
      // Compiling falls as the code warms up: apart from the collector, so a short run's warm-up
      // shows as such.
      return JVM_COMPILER;
    }
    if (comm.startsWith("VM Thread")
        || comm.startsWith("VM Periodic")
        || comm.startsWith("Sweeper")) {
      return JVM_OTHER;
    }
    if (comm.startsWith("GC Thread")
        || comm.startsWith("G1 ")
        || comm.startsWith("ZWorker")
        || comm.startsWith("ZDirector")
        || comm.startsWith("ZDriver")
        || comm.startsWith("ZStat")
        || comm.startsWith("ZUnmapper")
        || comm.startsWith("ZUncommitter")
        || comm.startsWith("ZMarkStack")) {
      return JVM_COLLECTOR;
    }
    return null;
  }

  /** The CPU time of every thread now. */
  public static Sample take() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<Long, Long> javaNanos = new HashMap<>();
    Map<Long, String> javaNames = new HashMap<>();
    for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (t == null) {
        continue;
      }
      long nanos = mx.getThreadCpuTime(t.getThreadId());
      if (nanos >= 0) {
        javaNanos.put(t.getThreadId(), nanos);
        javaNames.put(t.getThreadId(), t.getThreadName());
      }
    }
    Map<Integer, Long> nativeNanos = new HashMap<>();
    Map<Integer, String> nativeGroups = new HashMap<>();
    long process = -1;
    Path tasks = Path.of("/proc/self/task");
    if (Files.isDirectory(tasks)) {
      long tick = 1_000_000_000L / clockTicksPerSecond();
      try (var dirs = Files.list(tasks)) {
        for (Path dir : (Iterable<Path>) dirs::iterator) {
          try {
            String group = nativeGroupOf(Files.readString(dir.resolve("comm")).strip());
            if (group != null) {
              int tid = Integer.parseInt(dir.getFileName().toString());
              nativeNanos.put(tid, ticks(Files.readString(dir.resolve("stat"))) * tick);
              nativeGroups.put(tid, group);
            }
          } catch (IOException | RuntimeException e) {
            // the thread ended while we read it
          }
        }
        process = ticks(Files.readString(Path.of("/proc/self/stat"))) * tick;
      } catch (IOException e) {
        process = -1;
      }
    }
    return new Sample(javaNanos, javaNames, nativeNanos, nativeGroups, process, System.nanoTime());
  }

  /** CPU seconds per group between two samples, largest first; groups under 1 ms left out. */
  public static Map<String, Double> between(Sample from, Sample to) {
    Map<String, Double> seconds = new TreeMap<>();
    double attributed = 0;
    for (Map.Entry<Long, Long> t : to.javaNanos().entrySet()) {
      long delta = t.getValue() - from.javaNanos().getOrDefault(t.getKey(), 0L);
      String group = groupOf(to.javaNames().get(t.getKey()));
      seconds.merge(group, delta / 1e9, Double::sum);
      attributed += delta / 1e9;
    }
    for (Map.Entry<Integer, Long> t : to.nativeNanos().entrySet()) {
      long delta = t.getValue() - from.nativeNanos().getOrDefault(t.getKey(), 0L);
      seconds.merge(to.nativeGroups().get(t.getKey()), delta / 1e9, Double::sum);
      attributed += delta / 1e9;
    }
    if (from.processNanos() >= 0 && to.processNanos() >= 0) {
      double total = (to.processNanos() - from.processNanos()) / 1e9;
      seconds.put(UNATTRIBUTED, Math.max(0, total - attributed));
    }
    seconds.values().removeIf(s -> s < 0.001);
    return seconds;
  }

  /** utime + stime, in clock ticks, from a {@code /proc/.../stat} line. */
  static long ticks(String stat) {
    // The name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of the whole line
  }

  /** USER_HZ: 100 on every Linux this runs on (the kernel's ABI fixes it for /proc). */
  private static long clockTicksPerSecond() {
    return 100;
  }
}
