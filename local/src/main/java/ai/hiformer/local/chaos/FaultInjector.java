package ai.hiformer.local.chaos;

import ai.hiformer.local.cluster.LocalCluster;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Injects a chaos run's faults: at random times (gaps drawn uniformly between the settings' bounds)
 * a kind drawn uniformly from those the cluster's state allows now, a victim drawn among those that
 * fit, and, for a kill, a restart after a random downtime. Every change to the cluster runs on one
 * thread, so that a restart never races an injection.
 *
 * <p>What the state allows: a TaskManager kill while every TaskManager runs; a JobManager kill with
 * HA, both JobManagers running and a leader elected; a broker kill with three brokers or more, all
 * running; a savepoint resume when every process runs and the job has recovered from every fault
 * before.
 */
final class FaultInjector {
  /** Resubmits the job from a savepoint with the given arguments; returns the new job id. */
  interface Resume {
    String submit(String savepoint, List<String> jobArgs) throws Exception;
  }

  private final LocalCluster cluster;
  private final ChaosSettings settings;
  private final Supplier<String> jobId;
  private final java.util.function.Consumer<String> newJobId;
  private final Resume resume;
  private final List<String> jobArgs;
  private final PrintStream log;
  private final SplittableRandom random;
  private final ScheduledExecutorService changes = Executors.newSingleThreadScheduledExecutor();
  private long start;

  FaultInjector(
      LocalCluster cluster,
      ChaosSettings settings,
      Supplier<String> jobId,
      java.util.function.Consumer<String> newJobId,
      Resume resume,
      List<String> jobArgs,
      PrintStream log) {
    this.cluster = cluster;
    this.settings = settings;
    this.jobId = jobId;
    this.newJobId = newJobId;
    this.resume = resume;
    this.jobArgs = List.copyOf(jobArgs);
    this.log = log;
    this.random = new SplittableRandom(settings.seed());
  }

  /** Injects faults into {@code faults} until {@code endMillis} (wall clock). */
  void injectUntil(long endMillis, List<Fault> faults) throws Exception {
    start = System.currentTimeMillis();
    if (settings.quiet()) {
      Thread.sleep(Math.max(0, endMillis - start));
      return;
    }
    while (true) {
      long gap =
          settings.minGap().toMillis()
              + random.nextLong(settings.maxGap().toMillis() - settings.minGap().toMillis() + 1);
      long at = System.currentTimeMillis() + gap;
      if (at >= endMillis) {
        Thread.sleep(Math.max(0, endMillis - System.currentTimeMillis()));
        return;
      }
      Thread.sleep(gap);
      changes.submit(() -> injectOne(faults)).get();
    }
  }

  /**
   * Waits for the pending restarts (each at its time, within the longest downtime) and starts
   * whatever else is down; returns once every process runs.
   */
  void restoreAll() throws Exception {
    changes.shutdown(); // delayed restarts still run
    if (!changes.awaitTermination(settings.maxDowntime().toSeconds() + 120, TimeUnit.SECONDS)) {
      changes.shutdownNow();
    }
    cluster.start();
  }

  private Void injectOne(List<Fault> faults) throws Exception {
    List<Fault.Kind> allowed = allowed(faults);
    if (allowed.isEmpty()) {
      log.println("  (no fault the cluster's state allows now)");
      return null;
    }
    Fault.Kind kind = allowed.get(random.nextInt(allowed.size()));
    long now = System.currentTimeMillis();
    long downtime = 2000 + random.nextLong(settings.maxDowntime().toMillis() - 2000 + 1);
    Fault fault =
        switch (kind) {
          case TASKMANAGER_KILL -> {
            List<Integer> running = new ArrayList<>();
            try {
              running.addAll(cluster.taskManagersOf(jobId.get()));
            } catch (java.io.IOException e) {
              // the REST API is down (no JobManager leads): any TaskManager
            }
            int tm =
                running.isEmpty()
                    ? 1 + random.nextInt(cluster.settings().taskManagers())
                    : running.get(random.nextInt(running.size()));
            cluster.killTaskManager(tm);
            Fault f = new Fault(kind, "taskmanager-" + tm, now);
            restartLater(f, downtime, () -> cluster.startTaskManager(tm));
            yield f;
          }
          case JOBMANAGER_KILL -> {
            int jm = cluster.leadingJobManager().orElseThrow();
            cluster.killJobManager(jm);
            Fault f = new Fault(kind, "jobmanager-" + jm, now);
            restartLater(f, downtime, () -> cluster.startJobManager(jm));
            yield f;
          }
          case BROKER_KILL -> {
            String topic = random.nextBoolean() ? "events" : "scores";
            int partition = random.nextInt(cluster.settings().taskManagers());
            int broker;
            try {
              broker = cluster.leaderOf(topic, partition);
            } catch (Exception e) {
              broker = 1 + random.nextInt(cluster.settings().brokers()); // no leader known now
            }
            int victim = broker;
            cluster.killBroker(victim);
            Fault f =
                new Fault(
                    kind, "broker " + victim + " (leads " + topic + "-" + partition + ")", now);
            restartLater(f, downtime, () -> cluster.startBroker(victim));
            yield f;
          }
          case SAVEPOINT_RESUME -> {
            String old = jobId.get();
            Fault f = new Fault(kind, "job " + old, now);
            try {
              String savepoint = cluster.stopWithSavepoint(old);
              newJobId.accept(resume.submit(savepoint, jobArgs));
            } catch (Exception e) {
              f.failed(e.getMessage());
            }
            yield f;
          }
        };
    faults.add(fault);
    log.printf(
        "  %6.1f s  %-17s %s%s%n",
        (now - start) / 1000.0,
        kind.label(),
        fault.target(),
        fault.error() == null ? "" : " FAILED: " + fault.error());
    return null;
  }

  private List<Fault.Kind> allowed(List<Fault> faults) throws Exception {
    Map<String, Long> status = cluster.status();
    boolean tmsUp = true;
    boolean brokersUp = true;
    boolean jmsUp = true;
    for (Map.Entry<String, Long> e : status.entrySet()) {
      boolean down = e.getValue() < 0;
      if (e.getKey().startsWith("taskmanager-")) {
        tmsUp &= !down;
      } else if (e.getKey().startsWith("kafka")) {
        brokersUp &= !down;
      } else {
        jmsUp &= !down; // the JobManagers, and ZooKeeper, which elects their leader
      }
    }
    List<Fault.Kind> out = new ArrayList<>();
    if (tmsUp) {
      out.add(Fault.Kind.TASKMANAGER_KILL);
    }
    OptionalInt leader =
        cluster.settings().highAvailability() ? cluster.leadingJobManager() : OptionalInt.empty();
    if (jmsUp && leader.isPresent()) {
      out.add(Fault.Kind.JOBMANAGER_KILL);
    }
    if (brokersUp && cluster.settings().brokers() >= 3) {
      out.add(Fault.Kind.BROKER_KILL);
    }
    boolean allRecovered;
    synchronized (faults) {
      allRecovered = faults.stream().allMatch(f -> f.recoveredAtMillis() >= 0);
    }
    if (tmsUp && brokersUp && jmsUp && allRecovered) {
      out.add(Fault.Kind.SAVEPOINT_RESUME);
    }
    return out;
  }

  private interface Restart {
    void run() throws Exception;
  }

  private void restartLater(Fault fault, long downtimeMillis, Restart restart) {
    changes.schedule(
        () -> {
          try {
            restart.run();
            fault.restarted(System.currentTimeMillis());
          } catch (Exception e) {
            fault.failed("restart: " + e.getMessage());
          }
        },
        downtimeMillis,
        TimeUnit.MILLISECONDS);
  }
}
