package ai.hiformer.jobs.stream;

import java.util.ArrayList;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;

/**
 * Runs {@link LabelJoin} and, when a checkpoint is taken, first writes each model's waiting
 * impressions that changed since the previous one into keyed state under the model's key (the hook
 * runs before the state backend snapshots), so the checkpoint holds the join exactly as it is at
 * the barrier.
 */
public final class LabelJoinOperator
    extends KeyedCoProcessOperator<String, ValidEvent, ValidLabel, ValidEvent> {
  private static final long serialVersionUID = 1L;

  private final LabelJoin join;

  public LabelJoinOperator(LabelJoin join) {
    super(join);
    this.join = join;
  }

  /**
   * The impressions' own watermark, handed to the join before the combined one moves: a label waits
   * for its impression until this passes its deadline. While the impressions' input is idle (no
   * watermark comes) it stays where it was, so labels alone cannot drop labels whose impressions
   * are still unread.
   */
  @Override
  public void processWatermark1(Watermark mark) throws Exception {
    join.impressionsWatermark(mark.getTimestamp());
    super.processWatermark1(mark);
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    for (String model : new ArrayList<>(join.changedModels())) {
      setCurrentKey(model);
      join.writeBack(model);
    }
    join.changedModels().clear();
    super.snapshotState(context);
  }
}
