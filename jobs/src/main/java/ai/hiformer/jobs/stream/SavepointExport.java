package ai.hiformer.jobs.stream;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.jobs.operators.HeadStore;
import ai.hiformer.jobs.operators.ModelFunction;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.model.optim.OptimizerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

/**
 * Reads the job's model state from a savepoint (or retained checkpoint) with the State Processor
 * API and writes a serving snapshot for every model id ({@code hiformer export}): each model's head
 * from the model operator's {@link HeadStore} (or, in state saved by an earlier version, from keyed
 * state) and its rows and vocabulary values from keyed state.
 */
public final class SavepointExport {
  private SavepointExport() {}

  private static final OperatorIdentifier MODEL = OperatorIdentifier.forUid("model");
  private static final OptimizerConfig OPTIMIZER = OptimizerConfig.defaults();

  /** The pending micro-batch is part of the state; 65,536 bounds any configured size. */
  private static final int MAX_BATCH = 1 << 16;

  /** Writes one snapshot per model id under {@code out}; returns their directories. */
  // javac's try lint: Flink's CloseableIterator declares close() throws Exception.
  @SuppressWarnings("try")
  public static List<Path> export(String savepoint, Path out) throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    SavepointReader reader = SavepointReader.read(env, savepoint);
    Map<String, byte[]> heads = heads(reader, savepoint);
    List<Path> written = new ArrayList<>();
    try (CloseableIterator<Tuple2<String, byte[]>> models =
        reader
            .readKeyedState(MODEL, new ModelStateReader(heads), Types.STRING, HeadStore.ENTRY)
            .executeAndCollect("export models from " + savepoint)) {
      Set<String> exported = new HashSet<>();
      while (models.hasNext()) {
        Tuple2<String, byte[]> m = models.next();
        exported.add(m.f0);
        written.add(write(out, m.f0, ModelRuntime.fromBytes(m.f1, null, OPTIMIZER, MAX_BATCH)));
      }
      for (Map.Entry<String, byte[]> h : heads.entrySet()) {
        if (!exported.contains(h.getKey())) { // a model with no rows saved yet
          written.add(write(out, h.getKey(), fromHead(h.getValue(), List.of(), List.of())));
        }
      }
    }
    return written;
  }

  /** The models' heads saved in the model operator's {@link HeadStore}, by model key. */
  // javac's try lint: Flink's CloseableIterator declares close() throws Exception.
  @SuppressWarnings("try")
  private static Map<String, byte[]> heads(SavepointReader reader, String savepoint)
      throws Exception {
    Map<String, byte[]> heads = new HashMap<>();
    try (CloseableIterator<Tuple2<String, byte[]>> saved =
        reader
            .readUnionState(MODEL, HeadStore.HEADS.getName(), HeadStore.ENTRY)
            .executeAndCollect("read model heads from " + savepoint)) {
      saved.forEachRemaining(h -> heads.put(h.f0, h.f1));
    }
    return heads;
  }

  private static Path write(Path out, String key, ModelRuntime r) throws java.io.IOException {
    return ModelSnapshot.write(
        out,
        key,
        r.version(),
        r.spec().json(),
        r.learnerBytes(),
        r.encoderBytes(),
        r.learner().model().config().toProperties(),
        new ModelSnapshot.Position(r.trainedExamples(), r.scored(), -1),
        r.metrics().summary());
  }

  private static ModelRuntime fromHead(
      byte[] head,
      Iterable<Map.Entry<Long, byte[]>> rows,
      Iterable<Map.Entry<Long, byte[]>> entries) {
    return ModelRuntime.fromHeadAndRows(head, rows, entries, null, OPTIMIZER, MAX_BATCH);
  }

  /**
   * Emits (model id, state bytes with the rows inline) for every key of the model operator: the
   * head and the rows saved apart are put back together here, inside the reader.
   */
  static final class ModelStateReader
      extends KeyedStateReaderFunction<String, Tuple2<String, byte[]>> {
    private static final long serialVersionUID = 1L;

    private final HashMap<String, byte[]> heads;
    private transient ValueState<byte[]> state;
    private transient org.apache.flink.api.common.state.MapState<Long, byte[]> rows;
    private transient org.apache.flink.api.common.state.MapState<Long, byte[]> entries;

    /**
     * @param heads the models' heads by key; a key not in it has its head in keyed state
     */
    ModelStateReader(Map<String, byte[]> heads) {
      this.heads = new HashMap<>(heads);
    }

    @Override
    public void open(OpenContext context) {
      state = getRuntimeContext().getState(ModelFunction.HEAD);
      rows = getRuntimeContext().getMapState(ModelFunction.ROWS);
      entries = getRuntimeContext().getMapState(ModelFunction.VOCABULARY);
    }

    @Override
    public void readKey(String key, Context ctx, Collector<Tuple2<String, byte[]>> out)
        throws Exception {
      byte[] head = heads.containsKey(key) ? heads.get(key) : state.value();
      if (head != null) {
        out.collect(Tuple2.of(key, fromHead(head, rows.entries(), entries.entries()).toBytes()));
      }
    }
  }
}
