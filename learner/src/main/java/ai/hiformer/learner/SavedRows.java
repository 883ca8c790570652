package ai.hiformer.learner;

import ai.hiformer.features.snapshot.ChangedRows;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.train.Learner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

/**
 * Embedding rows saved one by one, for state that grows with what changed rather than with the
 * model: a row is one entry, key {@code table << 32 | id} (table: index in the model's table
 * order), value the row's cells and Adagrad accumulators ({@link
 * ai.hiformer.model.nn.RowCopies#writeState}, 128 bytes at d = 16). A checkpoint writes the rows
 * changed since the previous one; a restore reads them all back into tables that the state's head
 * sized.
 */
public final class SavedRows {
  /** Where saved rows go (keyed state in the job). */
  @FunctionalInterface
  public interface Sink {
    void put(long key, byte[] row) throws Exception;
  }

  private SavedRows() {}

  /** The key of row {@code id} of table {@code table}. */
  public static long key(int table, int id) {
    return (long) table << 32 | (id & 0xFFFFFFFFL);
  }

  /**
   * Gives every id an exact vocabulary has handed out its embedding row now, as scoring would (a
   * restore checks that invariant, {@code ModelSnapshot.requireVocabulariesFit}): an example only
   * learned from reaches the tables at its training step, and a checkpoint may come first. The rows
   * are the ones scoring would have made (a row's initial value depends only on the table and the
   * id).
   */
  static void materialiseHandedOut(Learner learner, ai.hiformer.features.FeatureEncoder encoder) {
    var tables = learner.model().tables();
    for (int i = 0; i < tables.size(); i++) {
      int needed = encoder.rowsNeededByTable(i);
      if (needed > tables.get(i).rows()) {
        tables.get(i).ensureRow(needed - 1);
      }
    }
  }

  /** Writes every row changed since the last call to {@code sink}; returns how many. */
  public static int drain(Learner learner, Sink sink) throws Exception {
    List<EmbeddingTable> tables = learner.model().tables();
    int written = 0;
    for (int t = 0; t < tables.size(); t++) {
      EmbeddingTable table = tables.get(t);
      for (int id : ChangedRows.of(table).drain(ChangedRows.Reader.CHECKPOINTS)) {
        if (id == 0) {
          continue; // row 0 is always zero: never saved
        }
        ByteBuffer b =
            ByteBuffer.allocate(ai.hiformer.model.nn.RowCopies.stateBytes(table))
                .order(ByteOrder.LITTLE_ENDIAN);
        ai.hiformer.model.nn.RowCopies.writeState(table, id, b);
        sink.put(key(t, id), b.array());
        written++;
      }
    }
    return written;
  }

  /**
   * Fills the tables of a learner decoded from a head ({@code LearnerCodec.decodeWithoutRows}) from
   * its saved rows.
   *
   * @throws IllegalArgumentException when a row does not fit its table, or a table misses rows that
   *     its head counts (a state that would otherwise serve zero rows)
   */
  public static void restore(Learner learner, Iterable<Map.Entry<Long, byte[]>> rows) {
    List<EmbeddingTable> tables = learner.model().tables();
    long[] restored = new long[tables.size()];
    for (Map.Entry<Long, byte[]> e : rows) {
      int t = (int) (e.getKey() >>> 32);
      int id = (int) (long) e.getKey();
      if (t < 0 || t >= tables.size()) {
        throw new IllegalArgumentException(
            "saved row of table " + t + "; the model has " + tables.size());
      }
      EmbeddingTable table = tables.get(t);
      if (e.getValue().length != ai.hiformer.model.nn.RowCopies.stateBytes(table)) {
        throw new IllegalArgumentException(
            "saved row "
                + id
                + " of table "
                + table.name()
                + " has "
                + e.getValue().length
                + " bytes, not "
                + ai.hiformer.model.nn.RowCopies.stateBytes(table));
      }
      ai.hiformer.model.nn.RowCopies.readState(
          table, id, ByteBuffer.wrap(e.getValue()).order(ByteOrder.LITTLE_ENDIAN));
      restored[t]++;
    }
    for (int t = 0; t < tables.size(); t++) {
      EmbeddingTable table = tables.get(t);
      if (ChangedRows.of(table).any(ChangedRows.Reader.CHECKPOINTS)) {
        continue; // rows came inline (a state written before rows were saved apart): the next drain
        // saves them
      }
      if (restored[t] != table.rows() - 1) {
        throw new IllegalArgumentException(
            "table "
                + table.name()
                + " has "
                + table.rows()
                + " rows but "
                + restored[t]
                + " were saved besides row 0");
      }
    }
  }
}
