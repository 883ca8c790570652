package ai.hiformer.cli;

import ai.hiformer.cli.stream.AfterStream;
import ai.hiformer.cli.stream.BenchEvents;
import ai.hiformer.cli.stream.BenchJobs;
import ai.hiformer.cli.stream.BenchmarkHooks;
import ai.hiformer.cli.stream.CpuUse;
import ai.hiformer.cli.stream.LearnerRate;
import ai.hiformer.cli.stream.LiveTraffic;
import ai.hiformer.cli.stream.MaxRateSearch;
import ai.hiformer.cli.stream.MiniClusterRest;
import ai.hiformer.cli.stream.ReceiptTimes;
import ai.hiformer.cli.stream.ScoreTimes;
import ai.hiformer.cli.stream.StreamResults;
import ai.hiformer.cli.stream.ThreadCpu;
import ai.hiformer.cli.stream.Traffic;
import ai.hiformer.jobs.stream.JobConfig;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.local.embedded.IdStream;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.traffic.DelayedLabels;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.schemas.Event;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * {@code hiformer benchmark-stream}: end-to-end speed through Kafka → Flink → Kafka on this
 * machine, for each model named (the first is the baseline of the same run). Both topics stamp
 * records with the broker's LogAppendTime. Phase 1 produces events as fast as possible (sustained
 * events/s); phase 2 produces at a fixed rate (with replica scoring: once the learner has caught up
 * with phase 1) and measures two latencies: "appended" (event appended → score appended, the
 * broker's clock) and "visible" (event appended → a read_committed consumer receives the score,
 * what a real-time consumer gets: with exactly-once delivery a score becomes visible when the
 * checkpoint that wrote it commits). {@code --distinct-ids N} replaces the dataset with {@link
 * IdStream} (N ids, every one visited during the warm-up, then Zipf-like repeats); {@code --json
 * FILE} writes the figures per model (keys in docs/BENCHMARKS.md). {@code --freshness} (with
 * replica scoring) also runs a server's update follower in this process, reading the model-update
 * topic as {@code serve --updates-topic} does, and times each update from its append to its being
 * served; the follower then shares this machine's cores with the job, so the latency figures of
 * such a run include its cost (a server runs elsewhere).
 */
public final class StreamBenchmarkCommand extends OptionsCommand {
  StreamBenchmarkCommand() {
    super(
        "benchmark-stream",
        "end-to-end events/s and latency through Kafka -> Flink -> Kafka",
        StreamBenchmarkOptions.USAGE,
        StreamBenchmarkOptions.VALUED,
        StreamBenchmarkOptions.FLAGS);
  }

  @Override
  protected int run(Options o) throws Exception {
    StreamBenchmarkOptions.configureExperiments(o);
    int distinctIds = o.integer("distinct-ids", 0, 0);
    ReplaySource source =
        ReplaySource.resolve(
            distinctIds > 0 ? null : o.get("data", null),
            distinctIds > 0 ? ReplaySource.syntheticSpec().toString() : o.get("spec", null));
    Path specPath = source.specPath();
    int throughputEvents = o.integer("events", 30_000, 1000);
    int latencyEvents = o.integer("latency-events", 20_000, 1000);
    int rate = o.integer("rate", 5000, 1);
    int warmup = distinctIds > 0 ? Math.max(5000, new IdStream(7, distinctIds).coverage()) : 5000;
    int total = warmup + throughputEvents + latencyEvents;
    List<Event> events =
        distinctIds > 0
            ? BenchEvents.ofIds(source.spec(), distinctIds, total)
            : BenchEvents.of(source, total);
    double labelDelay = o.number("label-delay-ms", 1000);
    // By default 10 % of the positives arrive after the window closes (exponential delays).
    long window = o.integer("join-window-ms", (int) DelayedLabels.windowFor(labelDelay, 0.10), 1);
    Map<Traffic.Labels, Traffic> traffic;
    try {
      traffic = Traffic.byLabels(o.list("labels", "inline"), events, labelDelay, rate);
    } catch (IllegalArgumentException e) {
      throw new Options.UsageException("benchmark-stream: " + e.getMessage());
    }
    System.out.printf(
        Locale.ROOT,
        "%,d events from %s; warm-up %,d; phase 1: %,d at full speed; phase 2: %,d at %,d/s%n",
        events.size(),
        distinctIds > 0
            ? String.format(Locale.ROOT, "a generated stream of %,d ids", distinctIds)
            : source.describe(),
        warmup,
        throughputEvents,
        latencyEvents,
        rate);
    List<StreamResults.Result> results = new ArrayList<>();
    List<String> deliveries =
        o.listOf(
            "delivery",
            "exactly-once",
            List.of("exactly-once", "at-least-once"),
            "exactly-once, at-least-once (comma-separated)");
    List<String> scorings =
        o.listOf(
            "scoring",
            "replicas",
            List.of("replicas", "inline", "jobs"),
            "replicas (a scoring operator fed by model updates), inline (the learner scores), jobs"
                + " (a learning job and a scoring job that follows its update topic: job.role=learn and"
                + " score)");
    for (String model : o.list("models", "lr,hiformer")) {
      for (String scoring : scorings) {
        for (String delivery : deliveries) {
          for (Map.Entry<Traffic.Labels, Traffic> t : traffic.entrySet()) {
            results.add(
                runOne(
                    ModelConfig.builder(model).build().name(),
                    scoring,
                    delivery,
                    t.getKey(),
                    window,
                    specPath,
                    t.getValue(),
                    warmup,
                    warmup + throughputEvents,
                    rate,
                    o.integer("checkpoint-ms", 1000, 100),
                    o.has("freshness"),
                    o.integer("tail-seconds", 0, 0),
                    !o.has("find-max-rate")
                        ? null
                        : new SearchSettings(
                            events,
                            labelDelay,
                            o.integer("step-seconds", 60, 1),
                            o.integer("warmup-seconds", 60, 0),
                            o.integer("max-p99-ms", 100, 1),
                            o.integer("max-rate-limit", 40_000, 1))));
          }
        }
      }
    }
    if (traffic.containsKey(Traffic.Labels.TOPIC)) {
      System.out.printf(
          Locale.ROOT,
          "labels on their topic: %,d positives, delay exponential with mean %.0f ms of event time,"
              + " join window %,d ms (%.1f %% of the positives arrive after it)%n",
          traffic.get(Traffic.Labels.TOPIC).labels(),
          labelDelay,
          window,
          100 * DelayedLabels.fractionAfter(labelDelay, window));
    }
    System.out.println();
    StreamResults.printTable(results);
    if (o.has("json")) {
      StreamResults.writeJson(
          Paths.get(o.get("json", "")),
          results,
          distinctIds,
          rate,
          o.integer("checkpoint-ms", 1000, 100),
          labelDelay,
          window);
    }
    return 0;
  }

  private static StreamResults.Result runOne(
      String kind,
      String scoring,
      String delivery,
      Traffic.Labels labels,
      long joinWindowMillis,
      Path specPath,
      Traffic traffic,
      int warmup,
      int split,
      int rate,
      int checkpointMillis,
      boolean measureFreshness,
      int tailSeconds,
      SearchSettings search)
      throws Exception {
    // Experiments: --kafka KEY=VALUE sets a config of the embedded broker.
    try (EmbeddedKafka kafka = new EmbeddedKafka(BenchmarkHooks.experiments("kafka"))) {
      Map<String, String> appendTime = Map.of("message.timestamp.type", "LogAppendTime");
      kafka.createTopics(1, appendTime, "events", "scores");
      kafka.createTopics(1, "labels", "dead-letters");
      boolean twoJobs = scoring.equals("jobs");
      boolean replicas = scoring.equals("replicas") || twoJobs;
      if (replicas) {
        kafka.createTopics(1, Map.of("message.timestamp.type", "LogAppendTime"), "model-updates");
      }
      if (BenchmarkHooks.backlog()) {
        try (KafkaProducer<byte[], byte[]> producer =
            Traffic.loadProducer(kafka.bootstrapServers())) {
          traffic.sendAtOnce(producer, "bench".getBytes(StandardCharsets.UTF_8), 0, warmup);
        }
      }
      // Freshness: a server's follower of the update topic, in this process.
      FreshnessProbe updates = replicas && measureFreshness ? new FreshnessProbe(kafka) : null;
      BenchJobs jobs =
          BenchJobs.start(
              kafka,
              kind,
              scoring,
              delivery,
              joinWindowMillis,
              specPath,
              checkpointMillis,
              replicas && (measureFreshness || twoJobs));
      JobConfig config = jobs.config();
      int restPort = jobs.restPort();
      JobClient job = jobs.job();
      StreamResults.Checkpoints checkpoints;
      long phase2Millis = Long.MAX_VALUE;
      int eventCount = traffic.events();
      ReceiptTimes receipts =
          new ReceiptTimes(
              kafka.bootstrapServers(),
              search == null
                  ? eventCount
                  : Math.toIntExact(
                      eventCount
                          + MaxRateSearch.maxEvents(
                              rate,
                              search.maxRate(),
                              search.stepSeconds(),
                              search.warmupSeconds())));
      ThreadCpu.Sample cpuFrom = null;
      ThreadCpu.Sample cpuTo = null;
      long lastEventNanos = 0;
      AfterStream afterStream = AfterStream.NONE;
      LearnerRate learnerRate =
          replicas && search == null
              ? LearnerRate.watch(kafka, config.get(JobConfig.GROUP_ID) + "-learner", warmup)
              : LearnerRate.NONE;
      try {
        try (KafkaProducer<byte[], byte[]> producer =
            Traffic.loadProducer(kafka.bootstrapServers())) {
          byte[] key = "bench".getBytes(StandardCharsets.UTF_8);
          // Warm-up (job start, JIT), not measured; then the throughput phase.
          if (!BenchmarkHooks.backlog()) {
            traffic.sendAtOnce(producer, key, 0, warmup);
          }
          receipts.awaitScored(warmup);
          if (search != null) {
            // The search's steps follow the warm-up, with events made as they are sent; their
            // request ids continue after the prepared stream's, so none is scored twice.
            // (Labels of warm-up events still in flight are dropped: those close as negatives.)
            MaxRateSearch.awaitLearner(kafka, config.get(JobConfig.GROUP_ID) + "-learner", warmup);
            List<MaxRateSearch.Step> steps =
                new MaxRateSearch(
                        kafka,
                        producer,
                        key,
                        new LiveTraffic(search.base(), labels, search.labelDelayMillis(), 13),
                        receipts,
                        eventCount,
                        warmup,
                        config.get(JobConfig.GROUP_ID) + "-learner",
                        search.stepSeconds(),
                        search.maxP99Millis())
                    .run(rate, search.maxRate(), search.warmupSeconds());
            return StreamResults.ofSearch(kind, scoring, delivery, labels, steps);
          }
          traffic.sendAtOnce(producer, key, warmup, split);
          receipts.awaitScored(split);
          if (replicas) {
            // Phase 2 measures the steady rate: the learner, which trails the scores by design,
            // first works off what phase 1 left it (its training would otherwise share the cores
            // with the first seconds of phase 2).
            MaxRateSearch.awaitLearner(kafka, config.get(JobConfig.GROUP_ID) + "-learner", split);
          }
          if (jobs.hasLearnerJob() && BenchmarkHooks.stopLearner()) {
            // Diagnostics: phase 2 without learning (the scoring job keeps the model the learner
            // last published), to tell the learner's share of the scores' tail from the pipeline's.
            jobs.cancelLearner();
          }
          phase2Millis = System.currentTimeMillis();
          cpuFrom = ThreadCpu.take();
          traffic.sendPaced(producer, key, split, rate);
          lastEventNanos = System.nanoTime();
        }
        receipts.awaitScored(eventCount);
        cpuTo = ThreadCpu.take();
        var history = MiniClusterRest.get(restPort, "/jobs/" + job.getJobID() + "/checkpoints");
        checkpoints = StreamResults.Checkpoints.of(history, phase2Millis);
        if (BenchmarkHooks.trace() != null) {
          MiniClusterRest.writeCheckpointTrace(
              restPort,
              job.getJobID().toString(),
              history,
              BenchmarkHooks.traceName(kind, scoring, delivery));
        }
        // After the checkpoint statistics, which count phase 2's checkpoints only.
        if (tailSeconds > 0) {
          afterStream =
              AfterStream.watch(
                  lastEventNanos,
                  AfterStream.lastWindowCloseMillis(config, labels),
                  AfterStream.lastWindowCloseMillis(config, labels) + tailSeconds * 1000L);
          System.out.println(afterStream);
        }
      } finally {
        learnerRate.close();
        jobs.stop();
        receipts.close();
        if (updates != null) {
          updates.close();
        }
      }
      long[] f = updates == null ? new long[0] : updates.sorted(kafka, phase2Millis);
      ScoreTimes times =
          ScoreTimes.read(
              kafka,
              eventCount,
              warmup,
              split,
              receipts,
              BenchmarkHooks.trace() == null
                  ? null
                  : BenchmarkHooks.traceName(kind, scoring, delivery));
      long[] l = times.appended();
      long[] v = times.visible();
      long[] sc = times.scored();
      System.out.printf(
          Locale.ROOT,
          "%s/%s/%s: event appended -> scored (the job's clock) p50 %d, p99 %d, max %d ms%n",
          kind,
          scoring,
          delivery,
          StreamResults.pct(sc, 0.5),
          StreamResults.pct(sc, 0.99),
          StreamResults.pct(sc, 1));
      double eps = times.eventsPerSecond();
      CpuUse cpu = CpuUse.of(cpuFrom, cpuTo, eventCount - split);
      cpu.print(System.out);
      learnerRate.print(kind + "/" + scoring + "/" + delivery);
      return new StreamResults.Result(
          kind,
          scoring,
          delivery,
          labels.text(),
          eps,
          StreamResults.pct(l, 0.5),
          StreamResults.pct(l, 0.99),
          StreamResults.pct(l, 1),
          StreamResults.pct(v, 0.5),
          StreamResults.pct(v, 0.99),
          StreamResults.pct(v, 1),
          checkpoints,
          StreamResults.pct(f, 0.5),
          StreamResults.pct(f, 0.99),
          StreamResults.pct(f, 1),
          cpu,
          afterStream,
          learnerRate.examplesPerSecond(),
          List.of());
    }
  }

  /** What {@code --find-max-rate} needs: the base events to cycle, and its limits. */
  private record SearchSettings(
      List<Event> base,
      double labelDelayMillis,
      int stepSeconds,
      int warmupSeconds,
      long maxP99Millis,
      int maxRate) {}
}
