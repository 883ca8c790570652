package ai.hiformer.local.soak;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.local.cluster.JobTopics;
import ai.hiformer.local.cluster.LocalCluster;
import ai.hiformer.local.embedded.Replayer;
import ai.hiformer.local.embedded.TurnoverStream;
import ai.hiformer.local.traffic.DelayedLabels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A soak on a local cluster: its own job under steady traffic for an hour or more, with labels on
 * their topic and vocabulary turnover ({@link TurnoverStream}: new ids keep arriving, and a
 * vocabulary bounded below the ids seen evicts old ones), sampled every minute ({@link
 * SoakSample}). What leaks shows as growth after the state has filled: heap after GC, RocksDB disk,
 * checkpoint size, threads, file descriptors ({@link SoakReport}).
 *
 * @param cluster a started cluster
 * @param settings what to run
 * @param syntheticSpec {@code specs/synthetic.json}, whose vocabulary capacity the run replaces
 * @param baseJobArgs the job's arguments for this cluster without model ids and spec ({@link
 *     LocalCluster#jobArgs})
 * @param outDir where the spec, the CSV, the plot and the JSON go
 * @param log where progress goes
 */
public record SoakRun(
    LocalCluster cluster,
    Settings settings,
    Path syntheticSpec,
    java.util.function.Function<Path, List<String>> baseJobArgs,
    Path outDir,
    PrintStream log) {

  /**
   * What a soak runs.
   *
   * @param minutes how long the traffic flows
   * @param rate events per second
   * @param capacity the model's vocabulary capacity, per field (the spec's {@code
   *     embedding.capacity})
   * @param liveUsers users in the sliding window the stream draws from
   * @param liveItems items in it
   * @param eventsPerNewId the window slides on by one user and one item every this many events
   * @param labelDelayMs mean delay of a label after its impression (events carry the wall clock's
   *     time, as live traffic does)
   */
  public record Settings(
      int minutes,
      int rate,
      int capacity,
      int liveUsers,
      int liveItems,
      int eventsPerNewId,
      long labelDelayMs) {
    public Settings {
      if (minutes < 11) {
        throw new IllegalArgumentException(
            "invalid minutes " + minutes + "; allowed: >= 11 (the level is taken at minute 10)");
      }
      if (rate < 1 || capacity < 1000) {
        throw new IllegalArgumentException("rate must be >= 1 and capacity >= 1000");
      }
    }

    /**
     * {@code minutes} at {@code rate}: 20,000 live users and 10,000 live items sliding on by one
     * each every 10 events, 50,000 rows per field, labels 20 s after their impression on average.
     * At 1,000 events/s the users' vocabulary is full after 5 minutes (20,000 + 300,000 / 10 ids
     * seen) and the items' after 6.7, so the state has stopped growing well before {@link
     * #BASELINE_MINUTE}. (With 100,000 rows a field, as first chosen, they filled at minutes 13 and
     * 15: a baseline taken inside the fill.)
     */
    public static Settings of(int minutes, int rate) {
      return new Settings(minutes, rate, 50_000, 20_000, 10_000, 10, 20_000);
    }
  }

  /** The minute whose level later samples are held to, and the bound. */
  public static final int BASELINE_MINUTE = 10;

  public static final double BOUND = 0.10;

  static final long ATTRIBUTION_WINDOW_MS = 300_000;

  public SoakReport run() throws Exception {
    Files.createDirectories(outDir);
    long start = System.currentTimeMillis();
    String model = "soak-" + Long.toString(start / 1000, 36);
    Path spec = writeSpec();
    // Its own topics: a job reads its topics from the start.
    JobTopics topics = JobTopics.prefixed(model);
    cluster.createTopics(cluster.settings().taskManagers(), topics.all());
    List<String> args = new ArrayList<>(baseJobArgs.apply(spec));
    args.addAll(topics.jobArgs());
    args.add("--job.model-ids=" + model);
    args.add("--kafka.transactional-id-prefix=" + model); // see ChaosRun
    args.add("--kafka.group-id=" + model);
    // Held impressions are the join's only state that grows with time until its attribution
    // window: 5 minutes (the default is a day) lets the state fill before the baseline minute.
    args.add("--join.attribution-window-ms=" + ATTRIBUTION_WINDOW_MS);
    args.add("--quality.window=0"); // every version published: a snapshot a minute at least
    String jobId = cluster.submit(2, null, args);
    log.printf(
        "job %s submitted (model %s, vocabulary capacity %d)%n", jobId, model, settings.capacity());

    Properties producer = new Properties();
    producer.put("bootstrap.servers", cluster.settings().bootstrapServers());
    TurnoverStream stream =
        new TurnoverStream(
            11, settings.liveUsers(), settings.liveItems(), settings.eventsPerNewId());
    AtomicLong sent = new AtomicLong();
    long events = (long) settings.rate() * settings.minutes() * 60;
    CompletableFuture<Void> traffic =
        CompletableFuture.runAsync(
            () -> {
              try {
                new Replayer(FeatureSpec.load(spec), Replayer.endless(stream::next), model, true)
                    .replay(
                        producer,
                        topics.events(),
                        topics.labels(),
                        new DelayedLabels(settings.labelDelayMs(), 11),
                        model + "-",
                        events,
                        settings.rate(),
                        (id, y) -> sent.incrementAndGet());
              } catch (Exception e) {
                throw new IllegalStateException("the soak's traffic failed", e);
              }
            });
    List<SoakSample> samples = new ArrayList<>();
    try {
      for (int minute = 1; minute <= settings.minutes(); minute++) {
        long due = start + minute * 60_000L;
        while (System.currentTimeMillis() < due) {
          if (traffic.isCompletedExceptionally()) {
            traffic.join(); // throws the traffic's failure
          }
          Thread.sleep(Math.min(1000, Math.max(1, due - System.currentTimeMillis())));
        }
        SoakSample s = sample(minute, sent.get(), jobId);
        samples.add(s);
        log.println("  " + s.csv());
        SoakReport partial =
            new SoakReport(List.copyOf(samples), settings.rate(), BASELINE_MINUTE, BOUND);
        partial.writeCsv(outDir.resolve("soak.csv"));
      }
    } finally {
      traffic.cancel(true);
      try {
        cluster.cancel(jobId);
      } catch (IOException e) {
        log.println("could not cancel job " + jobId + ": " + e.getMessage());
      }
    }
    SoakReport report =
        new SoakReport(List.copyOf(samples), settings.rate(), BASELINE_MINUTE, BOUND);
    report.writeCsv(outDir.resolve("soak.csv"));
    report.writePlot(outDir.resolve("soak.svg"));
    new ObjectMapper()
        .writerWithDefaultPrettyPrinter()
        .writeValue(outDir.resolve("soak.json").toFile(), report.toJson());
    return report;
  }

  /** specs/synthetic.json with the soak's vocabulary capacity. */
  private Path writeSpec() throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(syntheticSpec.toFile());
    ((ObjectNode) root.path("embedding")).put("capacity", settings.capacity());
    Path spec = outDir.resolve("spec.json");
    json.writerWithDefaultPrettyPrinter().writeValue(spec.toFile(), root);
    return spec;
  }

  private SoakSample sample(int minute, long sent, String jobId) {
    double tmHeap = 0;
    double jmHeap = 0;
    long threads = 0;
    long fds = 0;
    for (Map.Entry<String, Long> e : cluster.status().entrySet()) {
      long pid = e.getValue();
      boolean tm = e.getKey().startsWith("taskmanager-");
      boolean jm = e.getKey().startsWith("jobmanager");
      if (pid < 0 || !(tm || jm)) {
        continue;
      }
      double heap = ProcessProbe.heapAfterGcMb(pid);
      if (tm) {
        tmHeap += heap;
      } else {
        jmHeap += heap;
      }
      threads += ProcessProbe.threads(pid);
      fds += ProcessProbe.fileDescriptors(pid);
    }
    double checkpointMb = Double.NaN;
    long checkpointMs = -1;
    try {
      JsonNode latest = cluster.checkpoints(jobId).path("latest").path("completed");
      checkpointMb = latest.path("state_size").asLong(-1) / 1e6;
      checkpointMs = latest.path("end_to_end_duration").asLong(-1);
    } catch (IOException e) {
      // not answering this minute: NaN in the CSV
    }
    return new SoakSample(
        minute,
        sent,
        tmHeap,
        jmHeap,
        threads,
        fds,
        ProcessProbe.retainedRocksDbMb(cluster.settings().home().resolve("tmp")),
        checkpointMb,
        ProcessProbe.diskMb(cluster.settings().checkpoints()),
        checkpointMs);
  }
}
