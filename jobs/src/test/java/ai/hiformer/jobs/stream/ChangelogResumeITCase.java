package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

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
 * A job with changelog checkpoints (the exactly-once default) stopped with a savepoint and resumed
 * from it carries on: its model continues from the savepoint's, and the scores of new events are
 * committed, each once (so checkpoints complete after the resume). The job claims the savepoint on
 * resume (Flink's CLAIM mode; see StreamingJob), as Flink asks of changelog jobs: NO_CLAIM forces a
 * full first checkpoint, which the changelog backend does not offer. On this MiniCluster a NO_CLAIM
 * resume happened to pass as well, so this test guards the resume, not the mode; ClusterFailureIT
 * resumes from a savepoint on the process cluster.
 */
class ChangelogResumeITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = JobTestKit.miniCluster(1);
  private static final int EVENTS = 200;

  @TempDir Path tmp;

  @Test
  void aJobResumedFromASavepointCommitsTheScoresOfNewEvents() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "events", "labels", "scores", "dead-letters");
      List<byte[]> keys = new ArrayList<>();
      List<byte[]> events = JobTestKit.syntheticEvents("m", 2 * EVENTS, 17, 11, 7, keys);
      kafka.produce("events", keys.subList(0, EVENTS), events.subList(0, EVENTS));
      // Micro-batches of 50: the model trains (and its version moves) before the savepoint and
      // after the resume.
      JobConfig config =
          JobTestKit.config(kafka.bootstrapServers(), tmp, "m")
              .set(ai.hiformer.jobs.api.LearnerOptions.MICRO_BATCH, 50)
              .build();
      assertThat(config.changelogCheckpoints()).isTrue();

      JobClient first = JobTestKit.environment(config).executeAsync("before-savepoint");
      long versionBefore =
          JobTestKit.awaitCommittedScores(kafka, EVENTS).values().stream()
              .mapToLong(v -> v)
              .max()
              .orElseThrow();
      String savepoint = JobTestKit.stopWithSavepoint(first, tmp);

      kafka.produce("events", keys.subList(EVENTS, 2 * EVENTS), events.subList(EVENTS, 2 * EVENTS));
      JobClient second = JobTestKit.resumedFrom(savepoint, config).executeAsync("after-savepoint");
      try {
        Map<String, Long> versions = JobTestKit.awaitCommittedScores(kafka, 2 * EVENTS);
        assertThat(versions).as("every event scored once, across the resume").hasSize(2 * EVENTS);
        // A job that had started afresh instead (its sources at the group's committed offsets)
        // would score with a new model, from version 0.
        assertThat(JobTestKit.lowestVersionFrom(versions, EVENTS))
            .as("the resumed job's model carries on from the savepoint's")
            .isGreaterThanOrEqualTo(versionBefore)
            .isPositive();
      } finally {
        second.cancel().get();
      }
    }
  }
}
