package ai.hiformer.jobs.stream;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.operators.ModelFunction;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.model.optim.OptimizerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

/**
 * Reads the job's keyed model state from a savepoint (or retained checkpoint) with the State
 * Processor API and writes a serving snapshot for every model id ({@code hiformer export}).
 */
public final class SavepointExport {
  private SavepointExport() {}

  /** Writes one snapshot per model id under {@code out}; returns their directories. */
  // javac's try lint: Flink's CloseableIterator declares close() throws Exception.
  @SuppressWarnings("try")
  public static List<Path> export(String savepoint, Path out) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    SavepointReader reader = SavepointReader.read(env, savepoint);
    List<Path> written = new ArrayList<>();
    try (CloseableIterator<Tuple2<String, byte[]>> models =
        reader
            .readKeyedState(
                OperatorIdentifier.forUid("model"),
                new ModelStateReader(),
                Types.STRING,
                Types.TUPLE(Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO))
            .executeAndCollect("export models from " + savepoint)) {
      while (models.hasNext()) {
        Tuple2<String, byte[]> m = models.next();
        // The pending micro-batch is part of the state; 65,536 bounds any configured micro-batch
        // size.
        ModelRuntime r = ModelRuntime.fromBytes(m.f1, null, OptimizerConfig.defaults(), 1 << 16);
        written.add(
            ModelSnapshot.write(
                out,
                m.f0,
                r.version(),
                r.spec().json(),
                r.learnerBytes(),
                r.encoderBytes(),
                r.learner().model().config().toProperties(),
                new ModelSnapshot.Position(r.trainedExamples(), r.scored(), -1),
                r.metrics().summary()));
      }
    }
    return written;
  }

  /**
   * Emits (model id, state bytes with the rows inline) for every key of the model operator: the
   * head and the rows saved apart are put back together here, inside the reader.
   */
  static final class ModelStateReader
      extends KeyedStateReaderFunction<String, Tuple2<String, byte[]>> {
    private static final long serialVersionUID = 1L;

    private transient ValueState<byte[]> state;
    private transient org.apache.flink.api.common.state.MapState<Long, byte[]> rows;
    private transient org.apache.flink.api.common.state.MapState<Long, byte[]> entries;

    @Override
    public void open(OpenContext context) {
      state = getRuntimeContext().getState(ModelFunction.HEAD);
      rows = getRuntimeContext().getMapState(ModelFunction.ROWS);
      entries = getRuntimeContext().getMapState(ModelFunction.VOCABULARY);
    }

    @Override
    public void readKey(String key, Context ctx, Collector<Tuple2<String, byte[]>> out)
        throws Exception {
      byte[] bytes = state.value();
      if (bytes != null) {
        out.collect(
            Tuple2.of(
                key,
                ModelRuntime.fromHeadAndRows(
                        bytes,
                        rows.entries(),
                        entries.entries(),
                        null,
                        OptimizerConfig.defaults(),
                        1 << 16)
                    .toBytes()));
      }
    }
  }
}
