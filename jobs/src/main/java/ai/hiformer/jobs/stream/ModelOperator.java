package ai.hiformer.jobs.stream;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;

/**
 * Runs {@link ModelFunction} and, when a checkpoint is taken, first writes every changed working copy
 * into keyed state under its own key (the hook runs before the state backends snapshot), so checkpoints
 * hold the model exactly as it is at the barrier.
 */
public final class ModelOperator extends KeyedProcessOperator<String, ValidEvent, byte[]> {
  private final ModelFunction function;

  public ModelOperator(ModelFunction function) {
    super(function);
    this.function = function;
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    List<String> keys = new ArrayList<>(function.dirtyKeys());
    for (String key : keys) {
      setCurrentKey(key);
      function.writeBack(key);
    }
    function.dirtyKeys().clear();
    super.snapshotState(context);
  }
}
