package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.local.embedded.EmbeddedKafka;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Learning and scoring as two jobs on one configuration ({@code job.role=learn} and {@code score}):
 * the scoring job's replicas follow the learning job's update topic, and every event is scored
 * exactly once (read_committed), with the version of the model that scored it. The scoring job
 * stopped with a savepoint and resumed on its own (the learner runs on) rebuilds its replicas from
 * the next base on the topic: the events that arrived meanwhile are scored once each, by a model at
 * least as new as before the stop (not a new one from version 0).
 */
class ScoringJobITCase {
  private static final int EVENTS = 400;
  private static final int CHUNK = 50;

  /** One slot for the learning job, two for the scoring job's replicas. */
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(3);

  @TempDir Path tmp;

  /**
   * The topics, and {@code 2 × EVENTS} events of model "m" of which the first half is on the events
   * topic.
   */
  private static List<byte[]> firstHalfProduced(EmbeddedKafka kafka, List<byte[]> keys)
      throws Exception {
    kafka.createTopics(1, "events", "labels", "scores", "dead-letters", "model-updates");
    List<byte[]> events = JobTestKit.syntheticEvents("m", 2 * EVENTS, 17, 11, 7, keys);
    kafka.produce("events", keys.subList(0, EVENTS), events.subList(0, EVENTS));
    return events;
  }

  /**
   * One configuration, two roles: micro-batches of 50 and an update at most every 50 ms, each
   * followed by one of the base's two slices; the scoring job checkpoints into a folder of its own.
   */
  private JobConfig configFor(EmbeddedKafka kafka, String role) {
    JobConfig.Builder b =
        JobTestKit.config(kafka.bootstrapServers(), tmp, "m")
            .set(LearnerOptions.MICRO_BATCH, CHUNK)
            .set(LearnerOptions.SCORING_PARALLELISM, 2)
            .set(LearnerOptions.UPDATES_INTERVAL_MS, 50L)
            .set(LearnerOptions.UPDATES_BASE_SLICES, 2)
            .set(JobConfig.UPDATES_TOPIC, "model-updates")
            .set(JobConfig.ROLE, role);
    return role.equals("score")
        ? b.set(JobConfig.CHECKPOINT_DIR, tmp.resolve("scoring-checkpoints").toUri().toString())
            .build()
        : b.build();
  }

  @Test
  void aScoringJobFollowingTheUpdateTopicScoresEveryEventOnceAcrossItsOwnResume() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      List<byte[]> keys = new ArrayList<>();
      List<byte[]> events = firstHalfProduced(kafka, keys);
      JobConfig learn = configFor(kafka, "learn");
      JobConfig score = configFor(kafka, "score");
      assertThat(score.changelogCheckpoints()).as("a scoring job keeps no keyed state").isFalse();

      JobClient learner = JobTestKit.environment(learn).executeAsync("learn");
      JobClient scorer = JobTestKit.environment(score).executeAsync("score");
      try {
        Map<String, Long> before = JobTestKit.awaitCommittedScores(kafka, EVENTS);
        long versionBefore = before.values().stream().mapToLong(v -> v).max().orElseThrow();
        String savepoint = JobTestKit.stopWithSavepoint(scorer, tmp);

        // Chunks a micro-batch each, apart: the learner publishes an update (and a slice) after
        // each, so that the resumed scorer sees a whole base cycle.
        for (int from = EVENTS; from < 2 * EVENTS; from += CHUNK) {
          kafka.produce(
              "events", keys.subList(from, from + CHUNK), events.subList(from, from + CHUNK));
          Thread.sleep(300);
        }
        scorer = JobTestKit.resumedFrom(savepoint, score).executeAsync("score-resumed");

        Map<String, Long> versions = JobTestKit.awaitCommittedScores(kafka, 2 * EVENTS);
        assertThat(versions)
            .as("every event scored once, across the scoring job's resume")
            .hasSize(2 * EVENTS);
        assertThat(JobTestKit.lowestVersionFrom(versions, EVENTS))
            .as("the resumed replicas follow the learner's model, not a new one")
            .isGreaterThanOrEqualTo(versionBefore)
            .isPositive();
      } finally {
        scorer.cancel().get();
        learner.cancel().get();
      }
    }
  }

  /**
   * The scoring job restored while the learning job is down: nothing new comes on the update topic,
   * so the replicas can be whole again only from what the topic already holds. The restored job
   * replays its recent past (UpdateTopicReplay) and scores the events that arrived meanwhile with
   * the last model the learner published.
   */
  @Test
  void aScoringJobRestoredWhileTheLearnerIsDownScoresWithTheLastPublishedModel() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      List<byte[]> keys = new ArrayList<>();
      List<byte[]> events = firstHalfProduced(kafka, keys);
      JobConfig learn = configFor(kafka, "learn");
      JobConfig score = configFor(kafka, "score");

      JobClient learner = JobTestKit.environment(learn).executeAsync("learn");
      JobClient scorer = JobTestKit.environment(score).executeAsync("score");
      try {
        long versionBefore =
            JobTestKit.awaitCommittedScores(kafka, EVENTS).values().stream()
                .mapToLong(v -> v)
                .max()
                .orElseThrow();
        learner.cancel().get();
        Thread.sleep(
            1000); // slack for the scorer to read the learner's last updates before its savepoint
        String savepoint = JobTestKit.stopWithSavepoint(scorer, tmp);
        kafka.produce(
            "events", keys.subList(EVENTS, 2 * EVENTS), events.subList(EVENTS, 2 * EVENTS));
        scorer = JobTestKit.resumedFrom(savepoint, score).executeAsync("score-resumed");

        Map<String, Long> versions = JobTestKit.awaitCommittedScores(kafka, 2 * EVENTS);
        assertThat(versions)
            .as("every event scored once, with no learner publishing")
            .hasSize(2 * EVENTS);
        assertThat(JobTestKit.lowestVersionFrom(versions, EVENTS))
            .as("scored by the learner's last published model")
            .isGreaterThanOrEqualTo(versionBefore)
            .isPositive();
      } finally {
        scorer.cancel().get();
      }
    }
  }
}
