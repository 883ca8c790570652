package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.embedded.EmbeddedKafka;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.schemas.DeadLetter;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job end to end against a real Kafka broker and a Flink MiniCluster at parallelism 2: two model ids,
 * one with labels carried in its events, one with labels on their own topic, malformed records mixed in. Every valid event gets exactly one score
 * (read_committed), every malformed record reaches the dead-letter topic with a reason, and both models
 * train.
 */
class StreamingJobITCase {
  private static final String SPEC = """
      {"name": "synthetic", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "tags", "kind": "multi", "max_values": 3},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";

  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
      .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  private static EmbeddedKafka kafka;

  @TempDir
  static java.nio.file.Path checkpoints;

  @TempDir
  static java.nio.file.Path snapshots;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = new EmbeddedKafka();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  @Test
  void everyValidEventIsScoredExactlyOnceAndEveryBadRecordIsDeadLettered() throws Exception {
    kafka.createTopics(2, "events", "labels", "scores", "dead-letters");
    WireCodec<Event> codec = WireCodec.events();
    SplittableRandom rng = new SplittableRandom(5);
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    Map<String, String> modelOf = new HashMap<>();
    List<byte[]> labelKeys = new ArrayList<>();
    List<byte[]> labelValues = new ArrayList<>();
    WireCodec<Label> labelCodec = WireCodec.labels();
    int perModel = 700;
    for (int i = 0; i < perModel * 2; i++) {
      String model = i % 2 == 0 ? "market-a" : "market-b";
      String id = "r" + i;
      int user = rng.nextInt(50);
      int item = rng.nextInt(30);
      double click = (user + item) % 3 == 0 ? 1 : 0;
      Event e = Event.newBuilder().setRequestId(id).setModelId(model).setEventTime(Instant.ofEpochSecond(1_700_000_000L + i))
          .setCategorical(Map.of("user", "u" + user, "item", "i" + item))
          .setMulti(Map.of("tags", List.of("t" + item % 4, "t" + user % 5)))
          .setNumeric(Map.of("price", (double) rng.nextInt(100)))
          .setLabels(model.equals("market-a") ? Map.of("click", click) : Map.of()).build();
      if (model.equals("market-b")) { // market-b's labels arrive on their own topic
        labelKeys.add(id.getBytes(StandardCharsets.UTF_8));
        labelValues.add(labelCodec.encode(Label.newBuilder().setRequestId(id).setModelId(model).setTask("click")
            .setValue(click).setTime(Instant.ofEpochSecond(1_700_000_100L + i)).build()));
      }
      keys.add(model.getBytes(StandardCharsets.UTF_8)); // one partition per model keeps each model's order
      values.add(codec.encode(e));
      modelOf.put(id, model);
    }
    List<byte[]> bad = malformedRecords(codec);
    for (int i = 0; i < bad.size(); i++) {
      int at = 1 + rng.nextInt(values.size() - 1);
      keys.add(at, ("bad" + i).getBytes(StandardCharsets.UTF_8));
      values.add(at, bad.get(i));
    }
    kafka.produce("events", keys, values);
    labelKeys.add("bad-label".getBytes(StandardCharsets.UTF_8));
    labelValues.add(labelCodec.encode(Label.newBuilder().setRequestId("r1").setModelId("market-b").setTask("buy")
        .setValue(1).setTime(Instant.EPOCH).build()));
    kafka.produce("labels", labelKeys, labelValues);

    JobConfig config = JobConfig.builder().bootstrapServers(kafka.bootstrapServers())
        .modelIds(Set.of("market-a", "market-b")).specJson(SPEC)
        .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).build())
        .parallelism(2).bounded(true).checkpointIntervalMillis(500).flushIdleMillis(60_000)
        .snapshotDir(snapshots.toString()).snapshotEveryExamples(256)
        .checkpointDir(checkpoints.toUri().toString()).rocksDbLocalDir("/tmp/hiformer-rocksdb").build();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
        StreamingJob.flinkConfiguration(config));
    env.setParallelism(2);
    StreamingJob.build(env, config);
    env.execute("streaming-job-itcase");

    WireCodec<Score> scores = WireCodec.scores();
    Map<String, Integer> count = new HashMap<>();
    Map<String, Long> maxVersion = new HashMap<>();
    for (byte[] b : kafka.readCommitted("scores", Duration.ofSeconds(3))) {
      Score s = scores.decode(b);
      count.merge(s.getRequestId(), 1, Integer::sum);
      assertThat(s.getModelId()).isEqualTo(modelOf.get(s.getRequestId()));
      assertThat(s.getScores().get("click")).isBetween(0.0, 1.0);
      maxVersion.merge(s.getModelId(), s.getModelVersion(), Math::max);
    }
    assertThat(count).hasSize(perModel * 2);
    assertThat(count.values()).allMatch(c -> c == 1);
    // market-a's 700 events carry labels: two full micro-batches were trained before its last events were
    // scored. market-b learns from joined labels, whose timing relative to scoring is not fixed.
    assertThat(maxVersion.get("market-a")).isEqualTo(2);

    WireCodec<DeadLetter> dlq = WireCodec.deadLetters();
    List<String> reasons = new ArrayList<>();
    for (byte[] b : kafka.readCommitted("dead-letters", Duration.ofSeconds(2))) {
      DeadLetter d = dlq.decode(b);
      assertThat(d.getSourceTopic()).isIn("events", "labels");
      assertThat(d.getOffset()).isNotNegative();
      reasons.add(d.getReason());
    }
    assertThat(reasons).hasSize(bad.size() + 1);
    assertThat(reasons).anyMatch(r -> r.contains("label for unknown task 'buy'"));
    assertThat(reasons).anyMatch(r -> r.contains("label for unknown task 'purchase'"));
    assertThat(reasons).anyMatch(r -> r.contains("corrupt or truncated") || r.contains("empty"));
    assertThat(reasons).allMatch(r -> !r.isBlank());
    assertThat(reasons).anyMatch(r -> r.contains("not Avro single-object"));
    assertThat(reasons).anyMatch(r -> r.contains("unknown schema"));
    assertThat(reasons).anyMatch(r -> r.contains("not finite"));
    assertThat(reasons).anyMatch(r -> r.contains("unknown model id"));
    assertThat(reasons).anyMatch(r -> r.contains("characters long"));
    assertThat(reasons).anyMatch(r -> r.contains("must be 0 or 1"));

    // Snapshots were written for checkpointed state, and load without Flink.
    // At the end of the input the partial micro-batch is trained too: 700 examples in 3 steps per model.
    for (String model : List.of("market-a", "market-b")) {
      java.nio.file.Path dir = ModelSnapshot.directory(snapshots, model, 3);
      assertThat(dir).isDirectory();
      ModelSnapshot snap = ModelSnapshot.read(dir, ai.hiformer.model.optim.OptimizerConfig.defaults());
      assertThat(snap.modelId()).isEqualTo(model);
      assertThat(snap.modelVersion()).isEqualTo(3);
      assertThat(snap.learner().steps()).isEqualTo(3);
      assertThat(snap.position().examplesTrained()).isEqualTo(perModel);
      assertThat(snap.position().checkpointId()).isPositive();
      assertThat(snap.metrics().get("click.examples")).isEqualTo((double) perModel);
      assertThat(snap.metrics().get("click.progressive_auc")).isBetween(0.0, 1.0);
    }
  }

  /** 1,000 malformed records of every kind the job must survive, each different. */
  private static List<byte[]> malformedRecords(WireCodec<Event> codec) {
    List<byte[]> bad = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(99);
    Event ok = Event.newBuilder().setRequestId("bad").setModelId("market-a").setEventTime(Instant.EPOCH)
        .setCategorical(Map.of("user", "u1")).build();
    WireCodec<Label> labels = WireCodec.labels();
    for (int i = 0; bad.size() < 1000; i++) {
      Event e = Event.newBuilder(ok).setRequestId("bad" + i).build();
      switch (i % 10) {
        case 0 -> { // garbage bytes
          byte[] g = new byte[1 + rng.nextInt(200)];
          for (int k = 0; k < g.length; k++) {
            g[k] = (byte) rng.nextInt(256);
          }
          g[0] = (byte) (g[0] == (byte) 0xC3 ? 0 : g[0]);
          bad.add(g);
        }
        case 1 -> bad.add(new byte[0]);
        case 2 -> bad.add(labels.encode(Label.newBuilder().setRequestId("x" + i).setModelId("market-a")
            .setTask("click").setValue(1).setTime(Instant.EPOCH).build())); // another schema
        case 3 -> bad.add(codec.encode(Event.newBuilder(e).setNumeric(Map.of("price", Double.NaN)).build()));
        case 4 -> bad.add(codec.encode(Event.newBuilder(e).setNumeric(Map.of("price",
            i % 20 == 4 ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY)).build()));
        case 5 -> bad.add(codec.encode(Event.newBuilder(e).setModelId("market-" + i).build())); // unknown model
        case 6 -> bad.add(codec.encode(Event.newBuilder(e).setCategorical(Map.of("user",
            "x".repeat(i < 20 ? 1 << 20 : 5000 + i))).build())); // megabyte (and long) strings
        case 7 -> bad.add(codec.encode(Event.newBuilder(e).setLabels(Map.of("click", 0.5)).build()));
        case 8 -> { // truncated body: required fields missing
          byte[] full = codec.encode(e);
          bad.add(java.util.Arrays.copyOf(full, 10 + rng.nextInt(full.length - 12)));
        }
        default -> {
          if (i % 20 == 9) { // an Event written without required fields (no modelId, no eventTime)
            org.apache.avro.Schema partial = new org.apache.avro.Schema.Parser().parse(
                "{\"type\": \"record\", \"name\": \"Event\", \"namespace\": \"ai.hiformer.schemas\","
                    + " \"fields\": [{\"name\": \"requestId\", \"type\": \"string\"}]}");
            org.apache.avro.generic.GenericRecord r = new org.apache.avro.generic.GenericData.Record(partial);
            r.put("requestId", "partial" + i);
            try {
              bad.add(new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
                  org.apache.avro.generic.GenericData.get(), partial).encode(r).array());
            } catch (java.io.IOException ex) {
              throw new java.io.UncheckedIOException(ex);
            }
          } else {
            bad.add(codec.encode(Event.newBuilder(e).setLabels(Map.of("purchase", 1.0)).build()));
          }
        }
      }
    }
    return bad;
  }
}
