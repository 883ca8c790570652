package ai.hiformer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.jobs.api.PublishedUpdate;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The edge from the learner to the scoring replicas is a round-robin one (so that the scorer
 * checkpoints unaligned and has no keyed state backend): every scoring subtask must still receive
 * every update, once, in the order the learner published them, also when two learner subtasks
 * publish.
 */
// javac's try lint: Flink's harnesses and iterators declare close() throws Exception.
@SuppressWarnings("try")
class EveryScorerITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(4)
              .build());

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 4})
  void everyScoringSubtaskReceivesEveryUpdateOnceInOrder(int scorers) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    int perModel = 500;
    // Two publishing subtasks, as with two learner subtasks: each model's updates, in order, from
    // one of them.
    DataStream<PublishedUpdate> updates =
        env.fromData("a", "b")
            .setParallelism(1)
            .keyBy(model -> model)
            .flatMap(
                (String model, Collector<PublishedUpdate> out) -> {
                  for (int sequence = 0; sequence < perModel; sequence++) {
                    out.collect(
                        new PublishedUpdate(
                            model, ByteBuffer.allocate(4).putInt(sequence).array()));
                  }
                })
            .returns(TypeInformation.of(PublishedUpdate.class))
            .setParallelism(2);
    DataStream<Tuple2<Integer, String>> received =
        OnlineLearning.toEveryScorer(updates, scorers)
            .map(new Receiver())
            .returns(Types.TUPLE(Types.INT, Types.STRING))
            .setParallelism(scorers);

    Map<Integer, Map<String, List<Integer>>> bySubtask = new TreeMap<>();
    try (CloseableIterator<Tuple2<Integer, String>> it =
        received.executeAndCollect("every scorer")) {
      while (it.hasNext()) {
        Tuple2<Integer, String> r = it.next();
        String[] modelAndSequence = r.f1.split(":");
        bySubtask
            .computeIfAbsent(r.f0, s -> new TreeMap<>())
            .computeIfAbsent(modelAndSequence[0], m -> new ArrayList<>())
            .add(Integer.parseInt(modelAndSequence[1]));
      }
    }
    List<Integer> inOrder = new ArrayList<>();
    for (int sequence = 0; sequence < perModel; sequence++) {
      inOrder.add(sequence);
    }
    assertThat(bySubtask.keySet()).as("scoring subtasks that received updates").hasSize(scorers);
    for (var entry : bySubtask.entrySet()) {
      assertThat(entry.getValue()).as("subtask %d", entry.getKey()).containsOnlyKeys("a", "b");
      assertThat(entry.getValue().get("a"))
          .as("subtask %d, model a", entry.getKey())
          .isEqualTo(inOrder);
      assertThat(entry.getValue().get("b"))
          .as("subtask %d, model b", entry.getKey())
          .isEqualTo(inOrder);
    }
  }

  /** (receiving subtask, "model:sequence"). */
  private static final class Receiver
      extends RichMapFunction<PublishedUpdate, Tuple2<Integer, String>> {
    private static final long serialVersionUID = 1L;

    @Override
    public Tuple2<Integer, String> map(PublishedUpdate u) {
      return Tuple2.of(
          getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
          u.modelId + ":" + ByteBuffer.wrap(u.update).getInt());
    }
  }
}
