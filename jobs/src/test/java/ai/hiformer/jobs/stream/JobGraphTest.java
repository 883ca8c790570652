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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job's graph as Flink will run it. With scoring replicas, every input of the scorer takes unaligned
 * checkpoints: Flink checkpoints an operator aligned on all inputs if any of its input edges is broadcast,
 * pointwise or custom-partitioned, and then the scorer's events wait at every checkpoint until the learner has
 * passed the barrier on (seconds at a million rows: the stall session 9 measured with a broadcast edge). Nor is
 * the scorer keyed: a keyed operator gets a RocksDB backend of its own, whose synchronous snapshot waited at a
 * million rows as long as the learner's memtable flush (session 10).
 */
class JobGraphTest {
  @TempDir
  Path tmp;

  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  void everyInputOfTheScorerTakesUnalignedCheckpoints(int scorers) {
    JobConfig config = JobTestKit.config("unused:9092", tmp, "a").set(LearnerOptions.SCORING_PARALLELISM, scorers)
        .set(LearnerOptions.UPDATES_INTERVAL_MS, 1000L).set(JobConfig.UPDATES_TOPIC, "model-updates").build();
    StreamGraph graph = JobTestKit.environment(config).getStreamGraph();
    StreamNode scorer = graph.getStreamNodes().stream().filter(n -> n.getOperatorName().equals("score (replicas)"))
        .findFirst().orElseThrow();
    List<StreamEdge> inputs = scorer.getInEdges();
    assertThat(inputs).as("events and model updates").hasSize(2);
    for (StreamEdge edge : inputs) {
      assertThat(edge.supportsUnalignedCheckpoints()).as("%s -> scorer (%s)", edge.getSourceId(),
          edge.getPartitioner()).isTrue();
    }
    assertThat(scorer.getStateKeySerializer()).as("no keyed state backend (whose synchronous snapshot would wait"
        + " for the learner's RocksDB flush)").isNull();
  }
}
