package ai.hiformer.jobs.stream;

import ai.hiformer.features.snapshot.ModelSnapshot;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;

/**
 * Runs {@link ModelFunction} and, when a checkpoint is taken, first writes every changed working copy
 * into keyed state under its own key (the hook runs before the state backends snapshot), so checkpoints
 * hold the model exactly as it is at the barrier.
 */
public final class ModelOperator extends KeyedProcessOperator<String, ValidEvent, byte[]>
    implements org.apache.flink.streaming.api.operators.BoundedOneInput {
  private final ModelFunction function;

  public ModelOperator(ModelFunction function) {
    super(function);
    this.function = function;
  }

  /** A snapshot captured at a checkpoint barrier, written once that checkpoint completes. */
  private record Pending(String modelId, long version, byte[] learner, byte[] encoder, String modelConfig,
      ModelSnapshot.Position position, Map<String, Double> metrics) {}

  private transient TreeMap<Long, List<Pending>> pending;

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    JobConfig config = function.config();
    if (config.snapshotDir != null) {
      if (pending == null) {
        pending = new TreeMap<>();
      }
      for (Map.Entry<String, ModelRuntime> e : function.runtimes().entrySet()) {
        ModelRuntime r = e.getValue();
        if (r.takeSnapshotIfDue(config.snapshotEveryExamples, config.snapshotEveryEventTimeMillis)) {
          pending.computeIfAbsent(context.getCheckpointId(), id -> new ArrayList<>()).add(new Pending(e.getKey(),
              r.version(), r.learnerBytes(), r.encoderBytes(), r.learner().model().config().toProperties(),
              new ModelSnapshot.Position(r.trainedExamples(), r.scored(), context.getCheckpointId()), metricsOf(r)));
          function.dirtyKeys().add(e.getKey()); // the snapshot marker is part of the state
        }
      }
    }
    List<String> keys = new ArrayList<>(function.dirtyKeys());
    for (String key : keys) {
      setCurrentKey(key);
      function.writeBack(key);
    }
    function.dirtyKeys().clear();
    super.snapshotState(context);
  }

  private static Map<String, Double> metricsOf(ModelRuntime r) {
    Map<String, Double> m = new java.util.LinkedHashMap<>();
    for (int k = 0; k < r.spec().tasks().size(); k++) {
      String task = r.spec().tasks().get(k).name();
      m.put(task + ".progressive_auc", r.metrics(k).auc());
      m.put(task + ".progressive_logloss", r.metrics(k).logLoss());
      m.put(task + ".examples", (double) r.metrics(k).count());
    }
    return m;
  }

  /** At the end of a bounded input, what is pending is trained on, so the final checkpoint holds it. */
  @Override
  public void endInput() throws Exception {
    for (Map.Entry<String, ModelRuntime> e : function.runtimes().entrySet()) {
      if (e.getValue().train()) {
        function.dirtyKeys().add(e.getKey());
      }
    }
  }

  /** Snapshots are written only for state that a completed checkpoint holds. */
  @Override
  public void notifyCheckpointComplete(long checkpointId) throws Exception {
    super.notifyCheckpointComplete(checkpointId);
    if (pending == null) {
      return;
    }
    JobConfig config = function.config();
    Path root = Paths.get(config.snapshotDir);
    Iterator<Map.Entry<Long, List<Pending>>> it = pending.headMap(checkpointId, true).entrySet().iterator();
    while (it.hasNext()) {
      for (Pending p : it.next().getValue()) {
        ModelSnapshot.write(root, p.modelId(), p.version(), config.specJson, p.learner(), p.encoder(),
            p.modelConfig(), p.position(), p.metrics());
      }
      it.remove();
    }
  }
}
