package ai.hiformer.cli;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.io.RowSink;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.local.embedded.RowToEvent;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.jobs.stream.JobConfig;
import ai.hiformer.jobs.stream.StreamingJob;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
 * {@code hiformer benchmark-stream}: end-to-end speed through Kafka → Flink → Kafka on this machine, for
 * each model named (the first is the baseline of the same run). Both topics stamp records with the
 * broker's LogAppendTime, so latency is "event appended → score appended". Phase 1 produces events as
 * fast as possible (sustained events/s); phase 2 produces at a fixed rate (latency p50/p99 without
 * queueing).
 */
public final class StreamBenchmarkCommand extends OptionsCommand {
  static final Set<String> VALUED = Set.of("data", "spec", "models", "events", "rate", "latency-events",
      "checkpoint-ms");

  static final String USAGE = "Usage: hiformer benchmark-stream [--data DIR --spec SPEC] [--models lr,hiformer]"
          + " [--events 30000] [--rate 5000] [--latency-events 20000] [--checkpoint-ms 1000]";

  StreamBenchmarkCommand() {
    super("benchmark-stream", "end-to-end events/s and latency through Kafka -> Flink -> Kafka", USAGE, VALUED, Set.of());
  }

  @Override
  protected int run(Options o) throws Exception {
    ReplaySource source = ReplaySource.resolve(o.get("data", null), o.get("spec", null));
    Path specPath = source.specPath();
    int warmup = 5000;
    int throughputEvents = o.integer("events", 30_000, 1000);
    int latencyEvents = o.integer("latency-events", 20_000, 1000);
    int rate = o.integer("rate", 5000, 1);
    List<byte[]> events = events(source, warmup + throughputEvents + latencyEvents);
    System.out.printf(Locale.ROOT, "%,d events from %s; warm-up %,d; phase 1: %,d at full speed; phase 2: %,d at %,d/s%n",
        events.size(), source.describe(), warmup, throughputEvents, latencyEvents, rate);
    List<String> lines = new ArrayList<>();
    for (String model : o.list("models", "lr,hiformer")) {
      lines.add(runOne(ModelKind.parse(model), specPath, events, warmup, warmup + throughputEvents, rate,
          o.integer("checkpoint-ms", 1000, 100)));
    }
    System.out.println();
    System.out.println("model      | sustained events/s | latency p50 | p90 | p99 | max   (event appended -> score appended)");
    lines.forEach(System.out::println);
    return 0;
  }

  private static String runOne(ModelKind kind, Path specPath, List<byte[]> events, int warmup, int split, int rate,
      int checkpointMillis) throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      Map<String, String> appendTime = Map.of("message.timestamp.type", "LogAppendTime");
      kafka.createTopics(1, appendTime, "events", "scores");
      kafka.createTopics(1, "labels", "dead-letters");
      Path tmp = Files.createTempDirectory("hiformer-bench");
      JobConfig config = JobConfig.builder().set(JobConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers()).set(JobConfig.MODEL_IDS, Set.of("bench"))
          .set(LearnerOptions.FEATURE_SPEC, Files.readString(specPath)).modelConfig(ModelConfig.builder(kind, ModelConfig.Profile.ONLINE).build()).set(JobConfig.PARALLELISM, 1)
          .set(JobConfig.CHECKPOINT_INTERVAL_MS, checkpointMillis).set(JobConfig.CHECKPOINT_DIR, tmp.resolve("checkpoints").toUri().toString())
          .set(JobConfig.ROCKSDB_LOCAL_DIR, "/tmp/hiformer-rocksdb").build();
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
          StreamingJob.flinkConfiguration(config));
      env.setParallelism(1);
      StreamingJob.build(env, config);
      JobClient job = env.executeAsync("benchmark-" + kind.cliName());
      try {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("linger.ms", "1");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
          byte[] key = "bench".getBytes(StandardCharsets.UTF_8);
          // Warm-up (job start, JIT), not measured; then the throughput phase.
          for (int i = 0; i < warmup; i++) {
            producer.send(new ProducerRecord<>("events", key, events.get(i)));
          }
          producer.flush();
          waitForScores(kafka, warmup);
          for (int i = warmup; i < split; i++) {
            producer.send(new ProducerRecord<>("events", key, events.get(i)));
          }
          producer.flush();
          waitForScores(kafka, split);
          long start = System.nanoTime();
          for (int i = split; i < events.size(); i++) {
            long due = start + (long) ((i - split) * 1e9 / rate);
            while (System.nanoTime() < due) {
              Thread.onSpinWait();
            }
            producer.send(new ProducerRecord<>("events", key, events.get(i)));
          }
          producer.flush();
        }
        waitForScores(kafka, events.size());
      } finally {
        job.cancel().get();
      }
      // Append times: request ids are "r<index>", the index of the event in the stream.
      long[] eventTime = new long[events.size()];
      for (ConsumerRecord<byte[], byte[]> r : kafka.readCommittedRecords("events", Duration.ofSeconds(2))) {
        eventTime[(int) r.offset()] = r.timestamp();
      }
      WireCodec<Score> codec = WireCodec.scores();
      long firstEvent = eventTime[warmup];
      long lastThroughputScore = 0;
      List<Long> latencies = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : kafka.readCommittedRecords("scores", Duration.ofSeconds(2))) {
        int index = Integer.parseInt(codec.decode(r.value()).getRequestId().substring(1));
        if (index < warmup) {
          continue;
        }
        if (index < split) {
          lastThroughputScore = Math.max(lastThroughputScore, r.timestamp());
        } else {
          latencies.add(r.timestamp() - eventTime[index]);
        }
      }
      long[] l = latencies.stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(l);
      double eps = (split - warmup) / ((lastThroughputScore - firstEvent) / 1000.0);
      return String.format(Locale.ROOT, "%-10s | %,18.0f | %8d ms | %3d | %3d | %5d", kind.cliName(), eps,
          pct(l, 0.5), pct(l, 0.9), pct(l, 0.99), l.length == 0 ? -1 : l[l.length - 1]);
    }
  }

  private static long pct(long[] sorted, double q) {
    return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
  }

  private static void waitForScores(EmbeddedKafka kafka, int n) throws Exception {
    long deadline = System.currentTimeMillis() + 600_000;
    while (kafka.readCommitted("scores", Duration.ofMillis(1500)).size() < n) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("scores did not arrive within 10 minutes");
      }
    }
  }

  private static List<byte[]> events(ReplaySource source, int n) throws Exception {
    RowToEvent convert = new RowToEvent(source.spec(), "bench");
    var codec = ai.hiformer.schemas.WireCodec.events();
    List<byte[]> out = new ArrayList<>(n);
    source.read(new RowSink() {
      @Override
      public void accept(Row row) throws BadRowException {
        if (out.size() >= n) {
          throw new ReplaySource.Stop();
        }
        out.add(codec.encode(convert.convert(row, out.size())));
      }

      @Override
      public void rejected(String origin, String reason) {
      }
    });
    return out;
  }
}
