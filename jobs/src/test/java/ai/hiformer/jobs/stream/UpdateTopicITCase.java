package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.SharedData;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.learner.ModelUpdate;
import ai.hiformer.learner.ScoringReplica;
import ai.hiformer.learner.UpdateChunks;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.serving.ServedModel;
import ai.hiformer.serving.UpdateFollower;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model updates as a stream: the job publishes its learner's updates to a Kafka topic (a full one
 * first, then the changes, the last at the end of the input), and a replica that reads nothing but
 * that topic ends at the job's final model version and scores as the server does from the job's
 * final snapshot, and so does the server's own follower of the topic ({@link UpdateFollower}). The
 * job scores with two replica subtasks fed by the same updates.
 */
class UpdateTopicITCase {
  private static final int EVENTS = 1024;

  @RegisterExtension
  static final org.apache.flink.test.junit5.MiniClusterExtension FLINK = JobTestKit.miniCluster(2);

  @TempDir Path tmp;

  @Test
  void aReplicaReadingOnlyTheUpdateTopicScoresAsTheFinalSnapshot() throws Exception {
    String spec = Files.readString(SharedData.spec("synthetic.json"));
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = JobTestKit.syntheticEvents("u", EVENTS, 97, 31, 9, keys);
    List<ConsumerRecord<byte[], byte[]>> published;
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "events", "labels", "scores", "dead-letters");
      kafka.createTopics(1, "model-updates");
      kafka.produce("events", keys, values);
      JobConfig config =
          JobTestKit.config(kafka.bootstrapServers(), tmp, "u")
              .set(LearnerOptions.FEATURE_SPEC, spec)
              .set(JobConfig.BOUNDED, true)
              // Updates every 5 ms: training 1,024 events takes tens of milliseconds, so several
              // intervals pass while the job learns however fast the machine is (at 50 ms a fast
              // run could end within one, with only the final update published).
              .set(LearnerOptions.UPDATES_INTERVAL_MS, 5L)
              .set(JobConfig.UPDATES_TOPIC, "model-updates")
              .set(LearnerOptions.UPDATES_BASE_SLICES, 2)
              .set(LearnerOptions.SCORING_PARALLELISM, 2)
              .build();
      JobTestKit.runToEnd(config, "updates");
      published = kafka.readCommittedRecords("model-updates", Duration.ofSeconds(2));
    }
    assertThat(new String(published.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("u");
    // Each update is one or more records of at most about 1 MB (UpdateChunks), put back together in
    // order.
    UpdateChunks.Assembler parts = new UpdateChunks.Assembler();
    List<ModelUpdate> updates = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : published) {
      assertThat(r.value().length).as("a record of the update topic").isLessThanOrEqualTo(1 << 20);
      ModelUpdate u = parts.offer(r.value());
      if (u != null) {
        updates.add(u);
      }
    }
    assertThat(updates).as("updates published").hasSizeGreaterThanOrEqualTo(2);
    assertThat(updates.get(0).full()).as("the first update is full").isTrue();
    long sequences = updates.stream().mapToLong(ModelUpdate::sequence).distinct().count();
    assertThat(updates.stream().filter(ModelUpdate::full).count())
        .as("only the first is full")
        .isEqualTo(1);
    assertThat(updates.stream().filter(ModelUpdate::slice).map(ModelUpdate::sliceIndex).toList())
        .as("a slice of a base cut in two after every later update")
        .hasSize((int) sequences - 1)
        .allMatch(i -> i >= 0 && i < 2);

    ScoringReplica replica =
        new ScoringReplica(
            FeatureSpec.parse(spec), ModelConfig.builder(ModelKind.HIFORMER).build());
    int applied = 0;
    for (ModelUpdate u : updates) {
      applied += replica.apply(u) ? 1 : 0;
    }
    assertThat(applied)
        .as("every update continues the one before; the bases are skipped")
        .isEqualTo(sequences);
    assertThat(replica.version()).as("the final model version").isEqualTo(EVENTS / 256);

    // The server's way: an UpdateFollower fed the topic a few records per poll (its two copies
    // alternate).
    ServedModel fromTopic = follow(published).model("u").orElseThrow();
    assertThat(fromTopic.version()).isEqualTo(replica.version());
    // A server that joins after the full update assembles its model from the base slices and the
    // increments, and serves nothing until it is whole. How many updates a run publishes depends on
    // its timing: with a whole cycle (two slices) after the full update the late server serves the
    // final model, else it serves nothing.
    UpdateChunks.Assembler first = new UpdateChunks.Assembler();
    int afterFull = 0;
    while (first.offer(published.get(afterFull++).value()) == null) {
      // past the records of the first (full) update
    }
    UpdateFollower late = follow(published.subList(afterFull, published.size()));
    long slices = updates.stream().filter(ModelUpdate::slice).count();
    ServedModel joinedLate = slices >= 2 ? late.model("u").orElseThrow() : null;
    if (joinedLate == null) {
      assertThat(late.model("u")).as("only %d slice(s): no whole model", slices).isEmpty();
    } else {
      assertThat(joinedLate.version()).isEqualTo(replica.version());
    }
    ServedModel served =
        ServedModel.load(
            ModelSnapshot.directory(tmp.resolve("snapshots"), "u", replica.version()), 1);
    for (int i = 0; i < EVENTS; i += 13) {
      var row = JobTestKit.syntheticRow(i, 97, 31, 9);
      double want = served.score(row).get("click");
      assertThat(replica.score(row)[0]).as("event %d", i).isCloseTo(want, within(1e-6));
      assertThat(fromTopic.score(row).get("click"))
          .as("served from the topic, event %d", i)
          .isCloseTo(want, within(1e-6));
      if (joinedLate != null) {
        assertThat(joinedLate.score(row).get("click"))
            .as("served from slices, event %d", i)
            .isCloseTo(want, within(1e-6));
      }
    }
  }

  /**
   * The server's way: an UpdateFollower fed the records a few per poll (its two copies alternate).
   */
  private static UpdateFollower follow(List<ConsumerRecord<byte[], byte[]>> published) {
    UpdateFollower follower = new UpdateFollower(1, (id, version, epoch, sequence) -> {});
    for (int from = 0; from < published.size(); from += 2) {
      List<Map.Entry<String, byte[]>> poll = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r :
          published.subList(from, Math.min(published.size(), from + 2))) {
        poll.add(Map.entry(new String(r.key(), StandardCharsets.UTF_8), r.value()));
      }
      follower.offer(poll);
    }
    return follower;
  }
}
