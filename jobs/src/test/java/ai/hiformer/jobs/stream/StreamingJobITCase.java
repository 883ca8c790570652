package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.api.LearnerOptions;
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
import java.util.SplittableRandom;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job end to end against a real Kafka broker and a Flink MiniCluster at parallelism 2: two
 * model ids, one with labels carried in its events, one with labels on their own topic, malformed
 * records mixed in. Every valid event gets exactly one score (read_committed), every malformed
 * record reaches the dead-letter topic with a reason, and both models train.
 */
class StreamingJobITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(2);

  @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();

  @TempDir static java.nio.file.Path checkpoints;

  @TempDir static java.nio.file.Path snapshots;

  /**
   * Scored by the learner itself (0), and by two scoring subtasks with replicas fed by the
   * learner's updates.
   */
  @ParameterizedTest(name = "scoring.parallelism = {0}")
  @ValueSource(ints = {0, 2})
  void everyValidEventIsScoredExactlyOnceAndEveryBadRecordIsDeadLettered(int scoringParallelism)
      throws Exception {
    String events = "events-" + scoringParallelism;
    String labels = "labels-" + scoringParallelism;
    String scoresTopic = "scores-" + scoringParallelism;
    String deadLetterTopic = "dead-letters-" + scoringParallelism;
    java.nio.file.Path snapshots = StreamingJobITCase.snapshots.resolve("p" + scoringParallelism);
    KAFKA.get().createTopics(2, events, labels, scoresTopic, deadLetterTopic);
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
      Event e =
          Event.newBuilder()
              .setRequestId(id)
              .setModelId(model)
              .setEventTime(Instant.ofEpochSecond(1_700_000_000L + i))
              .setCategorical(Map.of("user", "u" + user, "item", "i" + item))
              .setMulti(Map.of("tags", List.of("t" + item % 4, "t" + user % 5)))
              .setNumeric(Map.of("price", (double) rng.nextInt(100)))
              .setLabels(model.equals("market-a") ? Map.of("click", click) : Map.of())
              .build();
      if (model.equals("market-b")) { // market-b's labels arrive on their own topic
        labelKeys.add(id.getBytes(StandardCharsets.UTF_8));
        labelValues.add(
            labelCodec.encode(
                Label.newBuilder()
                    .setRequestId(id)
                    .setModelId(model)
                    .setTask("click")
                    .setValue(click)
                    .setTime(Instant.ofEpochSecond(1_700_000_030L + i)) // within the window
                    .build()));
      }
      keys.add(
          model.getBytes(
              StandardCharsets.UTF_8)); // one partition per model keeps each model's order
      values.add(codec.encode(e));
      modelOf.put(id, model);
    }
    List<Malformed> bad = malformedRecords(codec);
    for (int i = 0; i < bad.size(); i++) {
      int at = 1 + rng.nextInt(values.size() - 1);
      keys.add(at, ("bad" + i).getBytes(StandardCharsets.UTF_8));
      values.add(at, bad.get(i).bytes());
    }
    KAFKA.get().produce(events, keys, values);
    // Where each bad record landed (partition, offset): its dead letter must name exactly that
    // place.
    Map<String, Malformed> expectedAt = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        KAFKA.get().readCommittedRecords(events, Duration.ofSeconds(2))) {
      String key = new String(r.key(), StandardCharsets.UTF_8);
      if (key.startsWith("bad")) {
        expectedAt.put(
            events + "/" + r.partition() + "/" + r.offset(),
            bad.get(Integer.parseInt(key.substring(3))));
      }
    }
    assertThat(expectedAt).hasSize(bad.size());
    labelKeys.add("bad-label".getBytes(StandardCharsets.UTF_8));
    byte[] badLabel =
        labelCodec.encode(
            Label.newBuilder()
                .setRequestId("r1")
                .setModelId("market-b")
                .setTask("buy")
                .setValue(1)
                .setTime(Instant.EPOCH)
                .build());
    labelValues.add(badLabel);
    KAFKA.get().produce(labels, labelKeys, labelValues);
    for (ConsumerRecord<byte[], byte[]> r :
        KAFKA.get().readCommittedRecords(labels, Duration.ofSeconds(2))) {
      if (new String(r.key(), StandardCharsets.UTF_8).equals("bad-label")) {
        expectedAt.put(
            labels + "/" + r.partition() + "/" + r.offset(),
            new Malformed(badLabel, "label for unknown task 'buy'"));
      }
    }
    assertThat(expectedAt).hasSize(bad.size() + 1);

    JobConfig.Builder builder =
        JobTestKit.config(
                KAFKA.get().bootstrapServers(),
                checkpoints.resolve("p" + scoringParallelism),
                "market-a",
                "market-b")
            .set(JobConfig.EVENTS_TOPIC, events)
            .set(JobConfig.LABELS_TOPIC, labels)
            .set(JobConfig.SCORES_TOPIC, scoresTopic)
            .set(JobConfig.DEAD_LETTER_TOPIC, deadLetterTopic)
            .set(JobConfig.GROUP_ID, "itcase-" + scoringParallelism)
            .set(JobConfig.TRANSACTIONAL_ID_PREFIX, "itcase-" + scoringParallelism);
    if (scoringParallelism > 0) {
      builder
          .set(LearnerOptions.SCORING_PARALLELISM, scoringParallelism)
          .set(LearnerOptions.UPDATES_INTERVAL_MS, 200L);
    }
    JobConfig config =
        builder
            .set(JobConfig.PARALLELISM, 2)
            .set(JobConfig.BOUNDED, true)
            .set(JobConfig.CHECKPOINT_INTERVAL_MS, 500L)
            .set(LearnerOptions.FLUSH_IDLE_MS, 60_000L)
            .set(LearnerOptions.SNAPSHOT_DIR, snapshots.toString())
            .build();
    JobTestKit.runToEnd(config, "streaming-job-itcase");

    WireCodec<Score> scores = WireCodec.scores();
    Map<String, Integer> count = new HashMap<>();
    Map<String, Long> maxVersion = new HashMap<>();
    for (byte[] b : KAFKA.get().readCommitted(scoresTopic, Duration.ofSeconds(3))) {
      Score s = scores.decode(b);
      count.merge(s.getRequestId(), 1, Integer::sum);
      assertThat(s.getModelId()).isEqualTo(modelOf.get(s.getRequestId()));
      assertThat(s.getScores().get("click")).isBetween(0.0, 1.0);
      maxVersion.merge(s.getModelId(), s.getModelVersion(), Math::max);
    }
    assertThat(count).hasSize(perModel * 2);
    assertThat(count.values()).allMatch(c -> c == 1);
    // market-a's 700 events carry labels: two full micro-batches were trained before its last
    // events were scored. market-b learns from joined labels, whose timing relative to scoring is
    // not fixed. With replicas, a score's version is the replica's at that moment: at most the
    // final one.
    if (scoringParallelism == 0) {
      assertThat(maxVersion.get("market-a")).isEqualTo(2);
    } else {
      assertThat(maxVersion.values()).allMatch(v -> v >= 0 && v <= 3);
    }

    // Every bad record has exactly one dead letter, at its own coordinates, with its own reason and
    // its bytes
    // kept whole; no good record has one.
    WireCodec<DeadLetter> dlq = WireCodec.deadLetters();
    Map<String, DeadLetter> deadLetters = new HashMap<>();
    for (byte[] b : KAFKA.get().readCommitted(deadLetterTopic, Duration.ofSeconds(2))) {
      DeadLetter d = dlq.decode(b);
      String at = d.getSourceTopic() + "/" + d.getPartition() + "/" + d.getOffset();
      assertThat(deadLetters.put(at, d)).as("a second dead letter for %s", at).isNull();
    }
    assertThat(deadLetters.keySet()).isEqualTo(expectedAt.keySet());
    for (Map.Entry<String, Malformed> e : expectedAt.entrySet()) {
      DeadLetter d = deadLetters.get(e.getKey());
      assertThat(d.getReason())
          .as("reason for the record at %s", e.getKey())
          .contains(e.getValue().reason());
      byte[] raw = new byte[d.getRaw().remaining()];
      d.getRaw().duplicate().get(raw);
      assertThat(raw).as("stored payload of %s", e.getKey()).isEqualTo(e.getValue().bytes());
    }

    // Snapshots were written for checkpointed state, and load without Flink.
    // At the end of the input the partial micro-batch is trained too: 700 examples in 3 steps per
    // model.
    for (String model : List.of("market-a", "market-b")) {
      java.nio.file.Path dir = ModelSnapshot.directory(snapshots, model, 3);
      assertThat(dir).isDirectory();
      ModelSnapshot snap =
          ModelSnapshot.read(dir, ai.hiformer.model.optim.OptimizerConfig.defaults());
      assertThat(snap.modelId()).isEqualTo(model);
      assertThat(snap.modelVersion()).isEqualTo(3);
      assertThat(snap.learner().steps()).isEqualTo(3);
      assertThat(snap.position().examplesTrained()).isEqualTo(perModel);
      assertThat(snap.position().checkpointId()).isPositive();
      assertThat(snap.metrics().get("click.examples")).isEqualTo((double) perModel);
      assertThat(snap.metrics().get("click.progressive_auc")).isBetween(0.0, 1.0);
    }
  }

  /** A malformed record and what its dead-letter reason must say. */
  private record Malformed(byte[] bytes, String reason) {}

  /**
   * 1,000 malformed records of every kind the job must survive, each different, with their reasons.
   */
  private static List<Malformed> malformedRecords(WireCodec<Event> codec) {
    List<Malformed> bad = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(99);
    Event ok =
        Event.newBuilder()
            .setRequestId("bad")
            .setModelId("market-a")
            .setEventTime(Instant.EPOCH)
            .setCategorical(Map.of("user", "u1"))
            .build();
    WireCodec<Label> labels = WireCodec.labels();
    for (int i = 0; bad.size() < 1000; i++) {
      Event e = Event.newBuilder(ok).setRequestId("bad" + i).build();
      switch (i % 10) {
        case 0 -> { // garbage bytes
          byte[] g = new byte[1 + rng.nextInt(200)];
          for (int k = 0; k < g.length; k++) {
            g[k] = (byte) rng.nextInt(256);
          }
          g[0] = g[0] == (byte) 0xC3 ? 0 : g[0];
          bad.add(new Malformed(g, "not Avro single-object"));
        }
        case 1 -> bad.add(new Malformed(new byte[0], "not Avro single-object"));
        case 2 ->
            bad.add(
                new Malformed(
                    labels.encode(
                        Label.newBuilder()
                            .setRequestId("x" + i)
                            .setModelId("market-a")
                            .setTask("click")
                            .setValue(1)
                            .setTime(Instant.EPOCH)
                            .build()),
                    "unknown schema")); // another schema
        case 3 ->
            bad.add(
                new Malformed(
                    codec.encode(
                        Event.newBuilder(e).setNumeric(Map.of("price", Double.NaN)).build()),
                    "numeric 'price' is not finite: NaN"));
        case 4 -> {
          double inf = i % 20 == 4 ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
          bad.add(
              new Malformed(
                  codec.encode(Event.newBuilder(e).setNumeric(Map.of("price", inf)).build()),
                  "numeric 'price' is not finite: " + inf));
        }
        case 5 ->
            bad.add(
                new Malformed(
                    codec.encode(Event.newBuilder(e).setModelId("market-" + i).build()),
                    "unknown model id 'market-" + i + "'"));
        case 6 -> { // megabyte (and long) strings
          int length = i < 20 ? 1 << 20 : 5000 + i;
          bad.add(
              new Malformed(
                  codec.encode(
                      Event.newBuilder(e)
                          .setCategorical(Map.of("user", "x".repeat(length)))
                          .build()),
                  "categorical 'user' is " + length + " characters long"));
        }
        case 7 ->
            bad.add(
                new Malformed(
                    codec.encode(Event.newBuilder(e).setLabels(Map.of("click", 0.5)).build()),
                    "label of task 'click' must be 0 or 1, got 0.5"));
        case 8 -> { // truncated body: required fields missing
          byte[] full = codec.encode(e);
          bad.add(
              new Malformed(
                  java.util.Arrays.copyOf(full, 10 + rng.nextInt(full.length - 12)),
                  "corrupt or truncated"));
        }
        default -> {
          if (i % 20 == 9) { // an Event written without required fields (no modelId, no eventTime)
            org.apache.avro.Schema partial =
                new org.apache.avro.Schema.Parser()
                    .parse(
                        "{\"type\": \"record\", \"name\": \"Event\", \"namespace\": \"ai.hiformer.schemas\","
                            + " \"fields\": [{\"name\": \"requestId\", \"type\": \"string\"}]}");
            org.apache.avro.generic.GenericRecord r =
                new org.apache.avro.generic.GenericData.Record(partial);
            r.put("requestId", "partial" + i);
            try {
              bad.add(
                  new Malformed(
                      new org.apache.avro.message.BinaryMessageEncoder<
                              org.apache.avro.generic.GenericRecord>(
                              org.apache.avro.generic.GenericData.get(), partial)
                          .encode(r)
                          .array(),
                      "unknown schema"));
            } catch (java.io.IOException ex) {
              throw new java.io.UncheckedIOException(ex);
            }
          } else {
            bad.add(
                new Malformed(
                    codec.encode(Event.newBuilder(e).setLabels(Map.of("purchase", 1.0)).build()),
                    "label for unknown task 'purchase'"));
          }
        }
      }
    }
    return bad;
  }
}
