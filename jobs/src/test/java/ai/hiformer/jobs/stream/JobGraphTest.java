package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.jobs.api.LearnerOptions;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The job's graph as Flink will run it. With scoring replicas, every input of the scorer takes
 * unaligned checkpoints: Flink checkpoints an operator aligned on all inputs if any of its input
 * edges is broadcast, pointwise or custom-partitioned, and then the scorer's events wait at every
 * checkpoint until the learner has passed the barrier on (seconds at a million rows: the stall
 * measured with a broadcast edge: docs/decisions/003). Nor is the scorer keyed: a keyed operator
 * gets a RocksDB backend of its own, whose synchronous snapshot waited at a million rows as long as
 * the learner's memtable flush.
 */
class JobGraphTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"1, all", "3, all", "1, score", "3, score"})
  void everyInputOfTheScorerTakesUnalignedCheckpoints(int scorers, String role) {
    JobConfig config =
        JobTestKit.config("unused:9092", tmp, "a")
            .set(LearnerOptions.SCORING_PARALLELISM, scorers)
            .set(LearnerOptions.UPDATES_INTERVAL_MS, 1000L)
            .set(JobConfig.UPDATES_TOPIC, "model-updates")
            .set(JobConfig.ROLE, role)
            .build();
    StreamGraph graph = JobTestKit.environment(config).getStreamGraph();
    StreamNode scorer =
        graph.getStreamNodes().stream()
            .filter(n -> n.getOperatorName().equals("score (replicas)"))
            .findFirst()
            .orElseThrow();
    List<StreamEdge> inputs = scorer.getInEdges();
    assertThat(inputs).as("events and model updates").hasSize(2);
    for (StreamEdge edge : inputs) {
      assertThat(edge.supportsUnalignedCheckpoints())
          .as("%s -> scorer (%s)", edge.getSourceId(), edge.getPartitioner())
          .isTrue();
    }
    assertThat(scorer.getStateKeySerializer())
        .as(
            "no keyed state backend (whose synchronous snapshot would wait"
                + " for the learner's RocksDB flush)")
        .isNull();
    if (role.equals("score")) {
      assertThat(graph.getStreamNodes())
          .as("a scoring job has no learner, and no keyed operator at all")
          .noneMatch(
              n -> n.getOperatorName().contains("learn") || n.getStateKeySerializer() != null);
    }
  }

  @org.junit.jupiter.api.Test
  void aLearningJobWritesNoScores() {
    JobConfig config =
        JobTestKit.config("unused:9092", tmp, "a")
            .set(LearnerOptions.SCORING_PARALLELISM, 2)
            .set(LearnerOptions.UPDATES_INTERVAL_MS, 1000L)
            .set(JobConfig.UPDATES_TOPIC, "model-updates")
            .set(JobConfig.ROLE, "learn")
            .build();
    StreamGraph graph = JobTestKit.environment(config).getStreamGraph();
    List<String> names = graph.getStreamNodes().stream().map(StreamNode::getOperatorName).toList();
    assertThat(names)
        .as("a learner and its update sink")
        .anyMatch(n -> n.equals("learn"))
        .anyMatch(n -> n.contains("model updates"))
        .noneMatch(n -> n.contains("score"));
  }
}
