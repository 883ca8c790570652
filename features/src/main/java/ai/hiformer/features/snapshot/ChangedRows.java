package ai.hiformer.features.snapshot;

import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.RowChanges;
import java.util.BitSet;

/**
 * A learner's record of one embedding table's changed rows, one set per reader of those changes,
 * each drained on its own clock: snapshot deltas for serving, the job's incremental checkpoint, and
 * model updates for scoring replicas. Attached to a table with {@link #track}; a table of a model
 * that only scores or evaluates has none.
 */
public final class ChangedRows implements RowChanges {
  /** Who reads a table's changed rows. */
  public enum Reader {
    /** Snapshot-folder deltas ({@link ModelDelta}). */
    SNAPSHOT_DELTAS,
    /** The job's incremental checkpoint (one state entry per row). */
    CHECKPOINTS,
    /** Model updates to scoring replicas and the update topic. */
    MODEL_UPDATES
  }

  private final BitSet[] changed = {new BitSet(), new BitSet(), new BitSet()}; // by Reader

  /** Follows every table of {@code model}; call it before rows are added. */
  public static void track(CtrModel model) {
    for (EmbeddingTable t : model.tables()) {
      t.trackChanges(new ChangedRows());
    }
  }

  /**
   * The record of {@code table}'s changes.
   *
   * @throws IllegalStateException when nobody tracks them ({@link #track} was not called)
   */
  public static ChangedRows of(EmbeddingTable table) {
    for (RowChanges r = table.changes(); r != null; r = r.next()) {
      if (r instanceof ChangedRows c) {
        return c;
      }
    }
    throw new IllegalStateException(
        "the changes of table " + table.name() + " are not tracked (ChangedRows.track)");
  }

  @Override
  public void changed(int id) {
    for (BitSet c : changed) {
      c.set(id);
    }
  }

  /**
   * Reserved rows count as changed for snapshot deltas (as new rows do), not for checkpoints (they
   * come from one) or model updates (a restored learner publishes a full update).
   */
  @Override
  public void reserved(int from, int to) {
    changed[Reader.SNAPSHOT_DELTAS.ordinal()].set(from, to);
  }

  /**
   * Ids of the rows changed since {@code reader} last drained them, ascending; then forgets them.
   */
  public int[] drain(Reader reader) {
    BitSet c = changed[reader.ordinal()];
    int[] ids = c.stream().toArray();
    c.clear();
    return ids;
  }

  /** Whether a row other than row 0 (always zero) changed since {@code reader} last drained. */
  public boolean any(Reader reader) {
    return changed[reader.ordinal()].nextSetBit(1) >= 0;
  }
}
