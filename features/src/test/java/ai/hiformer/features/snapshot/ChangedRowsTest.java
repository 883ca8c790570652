package ai.hiformer.features.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.model.nn.EmbeddingTable;
import org.junit.jupiter.api.Test;

class ChangedRowsTest {
  private static EmbeddingTable tracked() {
    EmbeddingTable t = new EmbeddingTable("item", 4, 0.1, 1, 16);
    t.trackChanges(new ChangedRows());
    return t;
  }

  @Test
  void eachReaderDrainsTheChangedRowsOnItsOwnClock() {
    EmbeddingTable t = tracked();
    ChangedRows c = ChangedRows.of(t);
    t.ensureRow(3); // created: rows 1..3
    assertThat(c.drain(ChangedRows.Reader.MODEL_UPDATES)).containsExactly(1, 2, 3);
    assertThat(c.any(ChangedRows.Reader.MODEL_UPDATES)).isFalse();
    t.gradOffset(2); // trained
    t.resetRow(3, 1); // re-initialised
    assertThat(c.drain(ChangedRows.Reader.MODEL_UPDATES)).containsExactly(2, 3);
    assertThat(c.drain(ChangedRows.Reader.CHECKPOINTS)).containsExactly(1, 2, 3);
    assertThat(c.drain(ChangedRows.Reader.CHECKPOINTS)).isEmpty();
    assertThat(c.any(ChangedRows.Reader.SNAPSHOT_DELTAS)).isTrue();
  }

  @Test
  void reservedRowsCountForDeltasOnly() {
    EmbeddingTable t = tracked();
    t.reserveRows(4); // a restore: rows 1..3 come from saved state
    ChangedRows c = ChangedRows.of(t);
    assertThat(c.any(ChangedRows.Reader.CHECKPOINTS)).isFalse(); // they came from a checkpoint
    assertThat(c.any(ChangedRows.Reader.MODEL_UPDATES)).isFalse(); // a restore publishes it all
    assertThat(c.drain(ChangedRows.Reader.SNAPSHOT_DELTAS)).containsExactly(1, 2, 3);
  }

  @Test
  void aTableNobodyTracksSaysSo() {
    EmbeddingTable t = new EmbeddingTable("item", 4, 0.1, 1, 16);
    assertThatThrownBy(() -> ChangedRows.of(t))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("table item");
  }
}
