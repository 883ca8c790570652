package ai.hiformer.cli;

import ai.hiformer.cli.stream.AfterStream;
import ai.hiformer.cli.stream.CpuUse;
import ai.hiformer.cli.stream.LiveTraffic;
import ai.hiformer.cli.stream.MaxRateSearch;
import ai.hiformer.cli.stream.ReceiptTimes;
import ai.hiformer.cli.stream.StreamResults;
import ai.hiformer.cli.stream.ThreadCpu;
import ai.hiformer.cli.stream.Traffic;
import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Folders;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.io.RowSink;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.stream.JobConfig;
import ai.hiformer.jobs.stream.StreamingJob;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.local.embedded.IdStream;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.embedded.RowToEvent;
import ai.hiformer.local.traffic.DelayedLabels;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

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
  static final Set<String> VALUED =
      Set.of(
          "data",
          "spec",
          "models",
          "events",
          "rate",
          "latency-events",
          "checkpoint-ms",
          "distinct-ids",
          "json",
          "delivery",
          "scoring",
          "labels",
          "label-delay-ms",
          "join-window-ms",
          "step-seconds",
          "max-rate-limit",
          "max-p99-ms",
          "tail-seconds");

  static final String USAGE =
      "Usage: hiformer benchmark-stream [--data DIR --spec SPEC | --distinct-ids N]"
          + " [--models lr,hiformer] [--events 30000] [--rate 5000] [--latency-events 20000] [--checkpoint-ms 1000]"
          + " [--delivery exactly-once,at-least-once] [--scoring replicas,inline,jobs]"
          + " [--labels inline,topic [--label-delay-ms 1000] [--join-window-ms W]] [--freshness] [--json FILE]"
          + " [--find-max-rate [--step-seconds 60] [--max-p99-ms 100] [--max-rate-limit 40000]]"
          + " [--tail-seconds S]";

  StreamBenchmarkCommand() {
    super(
        "benchmark-stream",
        "end-to-end events/s and latency through Kafka -> Flink -> Kafka",
        USAGE,
        VALUED,
        Set.of("freshness", "find-max-rate"));
  }

  @Override
  protected int run(Options o) throws Exception {
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
        distinctIds > 0 ? idEvents(source.spec(), distinctIds, total) : events(source, total);
    double labelDelay = o.number("label-delay-ms", 1000);
    // By default 10 % of the positives arrive after the window closes (exponential delays).
    long window = o.integer("join-window-ms", (int) DelayedLabels.windowFor(labelDelay, 0.10), 1);
    Map<Traffic.Labels, Traffic> traffic = new java.util.EnumMap<>(Traffic.Labels.class);
    for (String l : o.list("labels", "inline")) {
      Traffic.Labels labels;
      try {
        labels = Traffic.Labels.parse(l);
      } catch (IllegalArgumentException e) {
        throw new Options.UsageException("benchmark-stream: " + e.getMessage());
      }
      List<Event> copy = events.stream().map(e -> Event.newBuilder(e).build()).toList();
      traffic.put(
          labels,
          labels == Traffic.Labels.INLINE
              ? Traffic.inline(copy)
              : Traffic.delayedLabels(copy, labelDelay, 11, rate, System.currentTimeMillis()));
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
    List<String> deliveries = o.list("delivery", "exactly-once");
    for (String d : deliveries) {
      if (!d.equals("exactly-once") && !d.equals("at-least-once")) {
        throw new Options.UsageException(
            "benchmark-stream: invalid --delivery '"
                + d
                + "'; allowed: exactly-once, at-least-once (comma-separated)");
      }
    }
    List<String> scorings = o.list("scoring", "replicas");
    for (String scoring : scorings) {
      if (!scoring.equals("replicas") && !scoring.equals("inline") && !scoring.equals("jobs")) {
        throw new Options.UsageException(
            "benchmark-stream: invalid --scoring '"
                + scoring
                + "'; allowed: replicas (a scoring operator fed by model updates), inline (the learner scores), jobs"
                + " (a learning job and a scoring job that follows its update topic: job.role=learn and score)");
      }
    }
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
    // Experiments: -Dhiformer.bench.kafka.KEY=VALUE sets a config of the embedded broker.
    try (EmbeddedKafka kafka = new EmbeddedKafka(experiments("kafka"))) {
      Map<String, String> appendTime = Map.of("message.timestamp.type", "LogAppendTime");
      kafka.createTopics(1, appendTime, "events", "scores");
      kafka.createTopics(1, "labels", "dead-letters");
      boolean twoJobs = scoring.equals("jobs");
      boolean replicas = scoring.equals("replicas") || twoJobs;
      if (replicas) {
        kafka.createTopics(1, Map.of("message.timestamp.type", "LogAppendTime"), "model-updates");
      }
      Path tmp = Files.createTempDirectory("hiformer-bench");
      JobConfig.Builder configured =
          JobConfig.builder()
              .set(JobConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
              .set(JobConfig.MODEL_IDS, Set.of("bench"))
              .set(LearnerOptions.FEATURE_SPEC, Files.readString(specPath))
              .modelConfig(ModelConfig.builder(kind).profile(ModelConfig.Profile.ONLINE).build())
              .set(JobConfig.PARALLELISM, 1)
              .set(JobConfig.SCORES_DELIVERY, delivery)
              .set(JobConfig.LABEL_WINDOW_MS, joinWindowMillis)
              .set(JobConfig.CHECKPOINT_INTERVAL_MS, checkpointMillis)
              .set(JobConfig.CHECKPOINT_DIR, tmp.resolve("checkpoints").toUri().toString())
              .set(JobConfig.ROCKSDB_LOCAL_DIR, "/tmp/hiformer-rocksdb")
              .set(LearnerOptions.SCORING_PARALLELISM, replicas ? 1 : 0)
              .set(LearnerOptions.UPDATES_INTERVAL_MS, replicas ? 1000L : 0L)
              .set(
                  JobConfig.UPDATES_TOPIC,
                  replicas && (measureFreshness || twoJobs) ? "model-updates" : null);
      // Experiments: -Dhiformer.bench.job.KEY=VALUE sets a job option of every job.
      withJobExperiments("job", configured);
      // Two jobs: the measured one (checkpoints, scores) is the scoring job; the learner runs
      // beside it, with
      // -Dhiformer.bench.learner.KEY=VALUE (an option of the learning job alone) on top.
      JobConfig config = configured.set(JobConfig.ROLE, twoJobs ? "score" : "all").build();
      JobConfig learnerConfig = null;
      if (twoJobs) {
        withJobExperiments("learner", configured);
        learnerConfig = configured.set(JobConfig.ROLE, "learn").build();
      }
      // Freshness: a server's follower of the update topic, in this process; when each (epoch,
      // sequence) is served.
      // By epoch, then sequence: the follower serves in sequence order, so the first state served
      // at or past an
      // update's sequence is the ceiling entry.
      Map<Long, java.util.concurrent.ConcurrentSkipListMap<Long, Long>> servedAt =
          new java.util.concurrent.ConcurrentHashMap<>();
      UpdateTopicReader updates =
          !(replicas && measureFreshness)
              ? null
              : new UpdateTopicReader(
                  kafkaClient(kafka),
                  "model-updates",
                  new ai.hiformer.serving.UpdateFollower(
                      1,
                      (id, version, epoch, sequence) ->
                          servedAt
                              .computeIfAbsent(
                                  epoch, e -> new java.util.concurrent.ConcurrentSkipListMap<>())
                              .putIfAbsent(sequence, System.currentTimeMillis())));
      org.apache.flink.configuration.Configuration flink = StreamingJob.flinkConfiguration(config);
      int restPort = freePort(); // the MiniCluster's REST API, for the checkpoint statistics
      flink.set(org.apache.flink.configuration.RestOptions.BIND_PORT, Integer.toString(restPort));
      flink.set(org.apache.flink.configuration.RestOptions.PORT, restPort);
      flink.set(
          org.apache.flink.configuration.WebOptions.CHECKPOINTS_HISTORY_SIZE,
          100_000); // every checkpoint
      withExperiments(flink);
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
      env.setParallelism(1);
      StreamingJob.build(env, config);
      JobClient learnerJob = null;
      if (twoJobs) {
        org.apache.flink.configuration.Configuration learnerFlink =
            StreamingJob.flinkConfiguration(learnerConfig);
        learnerFlink.set(org.apache.flink.configuration.RestOptions.BIND_PORT, "0");
        withExperiments(learnerFlink);
        StreamExecutionEnvironment learnerEnv =
            StreamExecutionEnvironment.getExecutionEnvironment(learnerFlink);
        learnerEnv.setParallelism(1);
        StreamingJob.build(learnerEnv, learnerConfig);
        learnerJob = learnerEnv.executeAsync("benchmark-" + kind + "-learner");
      }
      JobClient job = env.executeAsync("benchmark-" + kind);
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
                          + MaxRateSearch.maxEvents(rate, search.maxRate(), search.stepSeconds())));
      ThreadCpu.Sample cpuFrom = null;
      ThreadCpu.Sample cpuTo = null;
      long lastEventNanos = 0;
      AfterStream afterStream = AfterStream.NONE;
      try {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        // The load generator sends as a user's producer would, with the client's defaults (a 5 ms
        // linger, as librdkafka's); -Dhiformer.bench.load.KEY=VALUE sets a producer config.
        p.putAll(experiments("load"));
        p.put("client.id", ThreadCpu.LOAD_CLIENT_PREFIX + "-load");
        try (KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
          byte[] key = "bench".getBytes(StandardCharsets.UTF_8);
          List<Traffic.Send> sends = traffic.sends();
          // Warm-up (job start, JIT), not measured; then the throughput phase.
          for (int i = 0; i < traffic.positionOfEvent(warmup); i++) {
            producer.send(record(key, sends.get(i)));
          }
          producer.flush();
          receipts.awaitScored(warmup);
          if (search != null) {
            // The search's steps follow the warm-up, with events made as they are sent; their
            // request ids continue after the prepared stream's, so none is scored twice.
            // (Labels of warm-up events still in flight are dropped: those close as negatives.)
            waitForLearner(kafka, config.get(JobConfig.GROUP_ID) + "-learner", warmup);
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
                    .run(rate, search.maxRate());
            return StreamResults.ofSearch(kind, scoring, delivery, labels, steps);
          }
          for (int i = traffic.positionOfEvent(warmup); i < traffic.positionOfEvent(split); i++) {
            producer.send(record(key, sends.get(i)));
          }
          producer.flush();
          receipts.awaitScored(split);
          if (replicas) {
            // Phase 2 measures the steady rate: the learner, which trails the scores by design,
            // first works off what phase 1 left it (its training would otherwise share the cores
            // with the first seconds of phase 2).
            waitForLearner(kafka, config.get(JobConfig.GROUP_ID) + "-learner", split);
          }
          if (learnerJob != null && STOP_LEARNER) {
            // Diagnostics: phase 2 without learning (the scoring job keeps the model the learner
            // last published),
            // to tell the learner's share of the scores' tail from the pipeline's.
            learnerJob.cancel().get();
            learnerJob = null;
          }
          phase2Millis = System.currentTimeMillis();
          cpuFrom = ThreadCpu.take();
          long start = System.nanoTime();
          for (int p2 = traffic.positionOfEvent(split); p2 < sends.size(); p2++) {
            Traffic.Send send = sends.get(p2);
            if (send.label()) {
              producer.send(record(key, send)); // a label goes out when its time has come
              continue;
            }
            int i = send.eventIndex();
            long due = start + (long) ((i - split) * 1e9 / rate);
            // Park, not spin: a spinning producer burns a whole core that the job under test would
            // otherwise have (on two cores, half the machine). The latencies are taken from the
            // broker's append times, so the timer's slack (tens of microseconds) only jitters the
            // send times, not what is measured.
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
              java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
            producer.send(record(key, send));
          }
          producer.flush();
          lastEventNanos = System.nanoTime();
        }
        receipts.awaitScored(eventCount);
        cpuTo = ThreadCpu.take();
        if (tailSeconds > 0) {
          afterStream =
              AfterStream.watch(
                  lastEventNanos,
                  lastWindowCloseMillis(config, labels),
                  lastWindowCloseMillis(config, labels) + tailSeconds * 1000L);
          System.out.println(afterStream);
        }
        var history = rest(restPort, "/jobs/" + job.getJobID() + "/checkpoints");
        checkpoints = StreamResults.Checkpoints.of(history, phase2Millis);
        if (TRACE != null) {
          Files.writeString(
              Paths.get(trace(kind, scoring, delivery) + "-checkpoints.json"), history.toString());
          // Per operator (barrier delay, sync/async time, in-flight data) for the slow checkpoints
          // (over a second,
          // or -Dhiformer.bench.trace.slow-ms).
          long slowMillis = Long.getLong("hiformer.bench.trace.slow-ms", 1000);
          var details = new com.fasterxml.jackson.databind.ObjectMapper().createArrayNode();
          for (var c : history.path("history")) {
            if (c.path("end_to_end_duration").asLong() > slowMillis) {
              String base =
                  "/jobs/" + job.getJobID() + "/checkpoints/details/" + c.path("id").asLong();
              var detail = (com.fasterxml.jackson.databind.node.ObjectNode) rest(restPort, base);
              var subtasks = detail.putObject("subtasks_by_vertex");
              detail
                  .path("tasks")
                  .fieldNames()
                  .forEachRemaining(
                      v -> {
                        try {
                          subtasks.set(v, rest(restPort, base + "/subtasks/" + v));
                        } catch (Exception e) {
                          subtasks.put(v, e.toString());
                        }
                      });
              details.add(detail);
            }
          }
          Files.writeString(
              Paths.get(trace(kind, scoring, delivery) + "-slow-checkpoints.json"),
              details.toString());
          Files.writeString(
              Paths.get(trace(kind, scoring, delivery) + "-vertices.json"),
              rest(restPort, "/jobs/" + job.getJobID()).toString());
        }
      } finally {
        job.cancel().get();
        if (learnerJob != null) {
          learnerJob.cancel().get();
        }
        receipts.close();
        if (updates != null) {
          updates.close();
        }
        // The jobs' checkpoints: cancelled jobs leave folders behind, one per run. Best effort: a
        // cancelled job
        // may still be deleting its own files while this walks them.
        Folders.deleteTreeQuietly(tmp, "benchmark-stream");
      }
      // An update is fresh in the server once a state at or past its sequence (same epoch) is
      // served.
      List<Long> freshness = new ArrayList<>();
      if (updates != null) {
        var parts = new ai.hiformer.learner.UpdateParts.Assembler();
        for (ConsumerRecord<byte[], byte[]> r :
            kafka.readCommittedRecords("model-updates", Duration.ofSeconds(2))) {
          var u = parts.offer(r.value()); // published when its last part is appended
          if (u == null || r.timestamp() < phase2Millis) {
            continue;
          }
          var served =
              servedAt
                  .getOrDefault(u.epoch(), new java.util.concurrent.ConcurrentSkipListMap<>())
                  .ceilingEntry(u.sequence());
          if (served != null) {
            freshness.add(served.getValue() - r.timestamp());
          }
        }
      }
      long[] f = StreamResults.sorted(freshness);
      // Append times: request ids are "r<index>", the index of the event in the stream.
      long[] eventTime = new long[eventCount];
      for (ConsumerRecord<byte[], byte[]> r :
          kafka.readCommittedRecords("events", Duration.ofSeconds(2))) {
        eventTime[(int) r.offset()] = r.timestamp();
      }
      WireCodec<Score> codec = WireCodec.scores();
      long firstEvent = eventTime[warmup];
      long lastThroughputScore = 0;
      List<Long> latencies = new ArrayList<>();
      List<Long> visible = new ArrayList<>();
      List<Long> toScore = new ArrayList<>();
      StringBuilder trace =
          TRACE == null
              ? null
              : new StringBuilder("index,appended_ms,scored_ms,score_appended_ms,visible_ms\n");
      for (ConsumerRecord<byte[], byte[]> r :
          kafka.readCommittedRecords("scores", Duration.ofSeconds(2))) {
        Score score = codec.decode(r.value());
        int index = Integer.parseInt(score.getRequestId().substring(1));
        if (index < warmup) {
          continue;
        }
        if (index < split) {
          lastThroughputScore = Math.max(lastThroughputScore, r.timestamp());
        } else {
          latencies.add(r.timestamp() - eventTime[index]);
          toScore.add(score.getScoringTime().toEpochMilli() - eventTime[index]);
          if (receipts.at(index) > 0) {
            visible.add(receipts.at(index) - eventTime[index]);
          }
          if (trace != null) {
            trace
                .append(index)
                .append(',')
                .append(eventTime[index])
                .append(',')
                .append(score.getScoringTime().toEpochMilli())
                .append(',')
                .append(r.timestamp())
                .append(',')
                .append(receipts.at(index))
                .append('\n');
          }
        }
      }
      if (trace != null) {
        Files.writeString(Paths.get(trace(kind, scoring, delivery) + ".csv"), trace);
      }
      long[] l = StreamResults.sorted(latencies);
      long[] v = StreamResults.sorted(visible);
      long[] sc = StreamResults.sorted(toScore);
      System.out.printf(
          Locale.ROOT,
          "%s/%s/%s: event appended -> scored (the job's clock) p50 %d, p99 %d, max %d ms%n",
          kind,
          scoring,
          delivery,
          StreamResults.pct(sc, 0.5),
          StreamResults.pct(sc, 0.99),
          StreamResults.pct(sc, 1));
      double eps = (split - warmup) / ((lastThroughputScore - firstEvent) / 1000.0);
      CpuUse cpu = CpuUse.of(cpuFrom, cpuTo, eventCount - split);
      cpu.print(System.out);
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
          List.of());
    }
  }

  /**
   * When the last impression's label window closes at the latest, in ms after the last event (see
   * {@link AfterStream}); 0 for inline labels, which need no window.
   */
  private static long lastWindowCloseMillis(JobConfig config, Traffic.Labels labels) {
    if (labels == Traffic.Labels.INLINE) {
      return 0;
    }
    long window = config.get(JobConfig.LABEL_WINDOW_MS);
    return config.get(JobConfig.JOIN_TIME).equals("event")
        ? window
            + config.get(JobConfig.JOIN_ALLOWED_LATENESS_MS)
            + config.get(JobConfig.JOIN_IDLE_MS)
        : window;
  }

  /** What {@code --find-max-rate} needs: the base events to cycle, and its limits. */
  private record SearchSettings(
      List<Event> base, double labelDelayMillis, int stepSeconds, long maxP99Millis, int maxRate) {}

  /** An impression or event for the events topic, or a label for the labels topic. */
  private static ProducerRecord<byte[], byte[]> record(byte[] key, Traffic.Send send) {
    return new ProducerRecord<>(send.label() ? "labels" : "events", key, send.value());
  }

  /**
   * Experiments: {@code -Dhiformer.bench.flink.KEY=VALUE} sets a Flink option of the jobs'
   * clusters.
   */
  private static void withExperiments(org.apache.flink.configuration.Configuration flink) {
    experiments("flink").forEach(flink::setString);
  }

  /**
   * Job options from {@code -Dhiformer.bench.KIND.KEY=VALUE}: conf/job.properties' keys, and
   * kafka.property.NAME for the job's Kafka clients.
   */
  private static void withJobExperiments(String kind, JobConfig.Builder job) {
    experiments(kind)
        .forEach(
            (key, value) -> {
              if (key.startsWith("kafka.property.")) {
                job.kafkaProperty(key.substring("kafka.property.".length()), value);
              } else {
                job.setText(key, value);
              }
            });
  }

  /** The system properties {@code hiformer.bench.KIND.KEY=VALUE}, as KEY → VALUE. */
  private static Map<String, String> experiments(String kind) {
    String prefix = "hiformer.bench." + kind + ".";
    Map<String, String> settings = new java.util.TreeMap<>();
    System.getProperties().stringPropertyNames().stream()
        .filter(k -> k.startsWith(prefix))
        .forEach(k -> settings.put(k.substring(prefix.length()), System.getProperty(k)));
    return settings;
  }

  /**
   * Diagnostics: {@code -Dhiformer.bench.stop-learner=true} cancels the learning job (two jobs)
   * before phase 2.
   */
  private static final boolean STOP_LEARNER = Boolean.getBoolean("hiformer.bench.stop-learner");

  /**
   * Diagnostics: {@code -Dhiformer.bench.trace=PREFIX} writes every phase-2 event's times to
   * PREFIX-model-scoring-delivery.csv.
   */
  private static final String TRACE = System.getProperty("hiformer.bench.trace");

  /** The trace files' common name: PREFIX-model-scoring-delivery. */
  private static String trace(String kind, String scoring, String delivery) {
    return TRACE + "-" + kind + "-" + scoring + "-" + delivery;
  }

  private static Properties kafkaClient(EmbeddedKafka kafka) {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    return p;
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode rest(int port, String path)
      throws Exception {
    var response =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + path))
                    .GET()
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body());
  }

  /**
   * Waits until the learner's source has committed offset {@code n} of the events topic: its
   * offsets are committed when a checkpoint completes, and a checkpoint completes after the learner
   * processed what preceded its barrier.
   */
  private static void waitForLearner(EmbeddedKafka kafka, String group, int n) throws Exception {
    long deadline = System.currentTimeMillis() + 600_000;
    Properties p = kafkaClient(kafka);
    try (var admin = org.apache.kafka.clients.admin.Admin.create(p)) {
      while (true) {
        var offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        long committed =
            offsets.values().stream()
                .filter(java.util.Objects::nonNull)
                .mapToLong(org.apache.kafka.clients.consumer.OffsetAndMetadata::offset)
                .sum();
        if (committed >= n) {
          return;
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException(
              "the learner did not reach event " + n + " within 10 minutes (at " + committed + ")");
        }
        Thread.sleep(200);
      }
    }
  }

  private static List<Event> idEvents(FeatureSpec spec, int distinctIds, int n) throws Exception {
    RowToEvent convert = new RowToEvent(spec, "bench");
    IdStream stream = new IdStream(7, distinctIds);
    List<Event> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(convert.convert(stream.next(), i));
    }
    return out;
  }

  private static List<Event> events(ReplaySource source, int n) throws Exception {
    RowToEvent convert = new RowToEvent(source.spec(), "bench");
    List<Event> out = new ArrayList<>(n);
    source.read(
        new RowSink() {
          @Override
          public void accept(Row row) throws BadRowException {
            if (out.size() >= n) {
              throw new ReplaySource.Stop();
            }
            out.add(convert.convert(row, out.size()));
          }

          @Override
          public void rejected(String origin, String reason) {}
        });
    return out;
  }
}
