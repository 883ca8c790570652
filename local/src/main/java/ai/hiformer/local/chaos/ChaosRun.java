package ai.hiformer.local.chaos;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.local.cluster.JobTopics;
import ai.hiformer.local.cluster.LocalCluster;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.embedded.Replayer;
import ai.hiformer.local.traffic.DelayedLabels;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A chaos run on a local cluster, after Jepsen's: while a paced stream of the generated events
 * flows as live traffic (event time is the wall clock's; positive labels follow on their own topic
 * after exponential delays of real time), faults fall at random times ({@link FaultInjector}); then
 * a checker reads the whole history back ({@link RunHistory}) and reports each fault with the time
 * the job took to commit again, every event scored exactly once (or not), every example learned
 * once (or not) and whether any model restarted from scratch.
 *
 * <p>The run submits its own job (model id and request-id prefix {@code chaos-<seed>-<time>}) on
 * its own topics ({@code <model>-events}, ...) and cancels it at the end. Faults overlap in time,
 * but at most one process of each kind is down at once (Kafka's two in-sync replicas and the
 * standby JobManager keep the cluster writable), and a savepoint resume only starts when everything
 * runs.
 */
public final class ChaosRun {
  private static final int TAIL = 20;
  private static final long SEVEN_DAYS_MS = 7L * 24 * 3600 * 1000;

  private final LocalCluster cluster;
  private final ChaosSettings settings;
  private final ReplaySource source;
  private final List<String> baseJobArgs;
  private final PrintStream log;

  /**
   * @param source the generated stream ({@code specs/synthetic.json}): endless, so any length runs
   * @param baseJobArgs the job's arguments for this cluster without a model id (as {@code hiformer
   *     cluster submit} passes them); the run adds its model, join and snapshot settings
   * @param log where progress goes
   */
  public ChaosRun(
      LocalCluster cluster,
      ChaosSettings settings,
      ReplaySource source,
      List<String> baseJobArgs,
      PrintStream log) {
    if (!source.synthetic()) {
      throw new IllegalArgumentException("a chaos run replays the generated stream");
    }
    this.cluster = cluster;
    this.settings = settings;
    this.source = source;
    this.baseJobArgs = List.copyOf(baseJobArgs);
    this.log = log;
  }

  public ChaosReport run() throws Exception {
    requireNoOtherJob();
    long start = System.currentTimeMillis();
    String model = "chaos-" + settings.seed() + "-" + Long.toString(start / 1000, 36);
    String prefix = model + "-";
    // The run's own topics: a job reads its topics from the start, and another run's records
    // (their times, their model ids) would be in its history.
    JobTopics topics = JobTopics.prefixed(model);
    cluster.createTopics(cluster.settings().taskManagers(), topics.all());
    List<String> jobArgs = jobArgs(model, topics);
    JobHandle job = new JobHandle(cluster.submit(settings.parallelism(), null, jobArgs));
    log.printf("job %s submitted (model %s)%n", job.id, model);
    Properties producer = new Properties();
    producer.put("bootstrap.servers", cluster.settings().bootstrapServers());
    long events = settings.rate() * settings.length().toSeconds();
    AtomicLong sent = new AtomicLong();
    CompletableFuture<Void> traffic =
        CompletableFuture.runAsync(
            () -> {
              try {
                new Replayer(source.spec(), source::read, model, settings.liveTime())
                    .replay(
                        producer,
                        topics.events(),
                        topics.labels(),
                        new DelayedLabels(settings.labelDelayMs(), settings.seed()),
                        prefix,
                        events,
                        settings.rate(),
                        (id, y) -> sent.incrementAndGet());
              } catch (Exception e) {
                throw new IllegalStateException("the replay failed", e);
              }
            });

    List<Fault> faults = java.util.Collections.synchronizedList(new ArrayList<>());
    SnapshotWatch snapshots = new SnapshotWatch(model);
    ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor();
    monitor.scheduleWithFixedDelay(
        () -> observe(job, faults, snapshots), 500, 500, TimeUnit.MILLISECONDS);
    FaultInjector injector =
        new FaultInjector(
            cluster, settings, job::id, id -> job.id = id, this::resume, jobArgs, log);
    try {
      injector.injectUntil(start + settings.length().toMillis(), faults);
    } finally {
      injector.restoreAll();
    }
    traffic.get();
    log.printf("stream done: %d events sent; closing its last windows%n", sent.get());

    RunHistory history = new RunHistory(cluster.settings().bootstrapServers(), topics);
    EventTimeNudge nudge =
        new EventTimeNudge(
            producer,
            source.spec(),
            model,
            topics.events(),
            topics.labels(),
            cluster.settings().taskManagers());
    nudge.sendTail(prefix + "tail-", TAIL);
    Map<String, Integer> scores = awaitScores(history, prefix, sent.get() + TAIL);
    Map<String, Long> impressions = history.eventTimes(prefix);
    RunHistory.PositiveLabels labels = history.positiveLabels(impressions, settings.joinWindowMs());
    Learned learned = awaitLearned(nudge, snapshots, impressions.size(), labels.positives());
    monitor.shutdownNow();
    long scored = scores.keySet().stream().filter(id -> !id.startsWith(prefix + "tail-")).count();
    ChaosReport.Check check =
        new ChaosReport.Check(
            sent.get(),
            scored,
            sent.get() - scored,
            scores.values().stream().filter(c -> c > 1).count(),
            history.deadLetters(),
            impressions.size(),
            learned.impressions(),
            labels.positives(),
            learned.positives() + learned.latePositives(),
            learned.latePositives(),
            labels.lateByTime(),
            snapshots.regressions());
    try {
      cluster.cancel(job.id);
    } catch (IOException e) {
      log.println("could not cancel job " + job.id + ": " + e.getMessage());
    }
    return new ChaosReport(settings, model, start, List.copyOf(faults), check);
  }

  /**
   * Fails when the cluster runs another job: it would hold task slots the run's job needs after a
   * TaskManager dies, and its recovery would be measured as the run's.
   */
  private void requireNoOtherJob() throws IOException {
    List<String> running = new ArrayList<>();
    for (JsonNode job : cluster.rest("/jobs/overview").path("jobs")) {
      String state = job.path("state").asText();
      if (!List.of("FINISHED", "CANCELED", "FAILED").contains(state)) {
        running.add(job.path("jid").asText() + " (" + state + ")");
      }
    }
    if (!running.isEmpty()) {
      throw new IllegalStateException(
          "the cluster runs other jobs "
              + running
              + "; a chaos run needs the cluster to itself: cancel them (flink cancel, or stop the"
              + " cluster) first");
    }
  }

  /** The job's id, which a savepoint resume changes. */
  private static final class JobHandle {
    private volatile String id;

    JobHandle(String id) {
      this.id = id;
    }

    String id() {
      return id;
    }
  }

  private String resume(String savepoint, List<String> jobArgs) throws Exception {
    return cluster.submit(settings.parallelism(), savepoint, jobArgs);
  }

  private List<String> jobArgs(String model, JobTopics topics) {
    List<String> args = new ArrayList<>(baseJobArgs);
    args.addAll(topics.jobArgs());
    // Its own transactional ids and consumer group: a fresh job's exactly-once sinks abort
    // whatever transactions their ids may have left open, probing one id per checkpoint the last
    // job with the same prefix took (after a few 20-minute runs, minutes of start-up).
    args.add("--kafka.transactional-id-prefix=" + model);
    args.add("--kafka.group-id=" + model);
    args.addAll(
        List.of(
            "--job.model-ids=" + model,
            "--scoring.parallelism=2",
            "--checkpoint.interval-ms=1000",
            "--join.mode=window-fnw",
            "--join.window-ms=" + settings.joinWindowMs(),
            "--join.attribution-window-ms=" + SEVEN_DAYS_MS,
            // A snapshot at every checkpoint that learned something: the checker reads the
            // learner's counters from the newest.
            "--snapshot.every-examples=1",
            // The checker reads the learner's counters from the newest snapshot: every version
            // is published (the quality gate would hold a worse one back).
            "--quality.window=0"));
    return args;
  }

  /**
   * Every half second: the job's state and its newest completed checkpoint; a fault is recovered
   * from once the job runs and a checkpoint triggered after it has completed.
   */
  private void observe(JobHandle job, List<Fault> faults, SnapshotWatch snapshots) {
    try {
      snapshots.poll();
      String id = job.id();
      if (!"RUNNING".equals(cluster.jobState(id))) {
        return;
      }
      JsonNode latest = cluster.checkpoints(id).path("latest").path("completed");
      long triggered = latest.path("trigger_timestamp").asLong(-1);
      long now = System.currentTimeMillis();
      synchronized (faults) {
        for (Fault f : faults) {
          if (f.recoveredAtMillis() < 0 && triggered > f.injectedAtMillis()) {
            f.recovered(now);
            log.printf(
                "             recovered from %s %s in %.1f s%n",
                f.kind().label(), f.target(), f.recoverySeconds());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // The REST API is down while no JobManager leads; the next look tells.
    }
  }

  /**
   * Waits (up to 10 minutes) until every event sent has a committed score, then for two more
   * checkpoints' worth of time, and reads the scores again so that a late duplicate is counted.
   */
  private Map<String, Integer> awaitScores(RunHistory history, String prefix, long n)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    Map<String, Integer> scores = history.scoreCounts(prefix);
    while (scores.size() < n && System.nanoTime() < deadline) {
      log.printf("  %d of %d events scored; waiting%n", scores.size(), n);
      Thread.sleep(5000);
      scores = history.scoreCounts(prefix);
    }
    Thread.sleep(3000);
    return history.scoreCounts(prefix);
  }

  /**
   * What a model's snapshot counts as learned.
   *
   * @param impressions examples, each an impression once its window closed
   * @param positives positive examples among them
   * @param latePositives positives learned once more after their window
   */
  private record Learned(long impressions, long positives, long latePositives) {
    static final Learned NONE = new Learned(0, 0, 0);

    long total() {
      return impressions + latePositives;
    }
  }

  /**
   * Waits (up to 10 minutes) until the newest snapshot counts {@code impressions} and {@code
   * positives}, nudging event time on; then a little longer, so that examples learned twice would
   * show.
   */
  private Learned awaitLearned(
      EventTimeNudge nudge, SnapshotWatch snapshots, long impressions, long positives)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    Learned learned = snapshots.poll();
    while ((learned.impressions() < impressions
            || learned.positives() + learned.latePositives() < positives)
        && System.nanoTime() < deadline) {
      log.printf(
          "  learned %d of %d impressions, %d of %d positives; waiting%n",
          learned.impressions(),
          impressions,
          learned.positives() + learned.latePositives(),
          positives);
      nudge.sendLabelsOfNoImpression(Instant.now());
      Thread.sleep(3000);
      learned = snapshots.poll();
    }
    Thread.sleep(5000);
    return snapshots.poll();
  }

  /**
   * What the newest snapshot counts as learned, watched for regressions: snapshots are written from
   * checkpointed state, so a model that carries on from its checkpoints never counts fewer examples
   * than before.
   */
  private final class SnapshotWatch {
    private final String model;
    private Learned newest = Learned.NONE;
    private long regressions;

    SnapshotWatch(String model) {
      this.model = model;
    }

    synchronized Learned poll() {
      Optional<ModelSnapshot.Summary> s;
      try {
        s = RunHistory.newestSnapshot(cluster.settings().snapshots(), model);
      } catch (IOException e) {
        return newest; // deleted by retention while read: the next poll reads a newer one
      }
      if (s.isEmpty()) {
        return newest;
      }
      String task = source.spec().tasks().get(0).name();
      Map<String, Double> m = s.get().metrics();
      Learned learned =
          new Learned(
              Math.round(m.getOrDefault(task + ".examples", 0.0)),
              Math.round(m.getOrDefault(task + ".positives", 0.0)),
              Math.round(m.getOrDefault(task + ".late_positives", 0.0)));
      if (learned.total() < newest.total()) {
        regressions++;
        log.printf(
            "  snapshot regression: %d examples after %d%n", learned.total(), newest.total());
      }
      newest = learned;
      return learned;
    }

    synchronized long regressions() {
      return regressions;
    }
  }
}
