package ai.hiformer.model.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The row store, the sparse gradient slots and the change listener of one table. */
class EmbeddingTableTest {
  private static final int DIM = 4;

  private static double[] row(EmbeddingTable t, int id) {
    double[] r = new double[DIM];
    t.readRow(id, r, 0);
    return r;
  }

  @Test
  void rowZeroIsZeroAndNeverLearns() {
    EmbeddingTable t = new EmbeddingTable("user", DIM, 0.1, 7, 16);
    t.ensureRow(3);
    assertThat(row(t, 0)).containsOnly(0.0);
    assertThat(t.gradOffset(0)).isEqualTo(-1);
    assertThat(t.touchedCount()).isZero();
  }

  @Test
  void aNewRowsValuesDependOnItsIdNotTheOrderRowsAppear() {
    EmbeddingTable inOrder = new EmbeddingTable("user", DIM, 0.1, 7, 16);
    EmbeddingTable jumped = new EmbeddingTable("user", DIM, 0.1, 7, 16);
    inOrder.ensureRow(3);
    inOrder.ensureRow(5000); // past the first page
    jumped.ensureRow(5000);
    assertThat(row(jumped, 3)).containsExactly(row(inOrder, 3));
    assertThat(row(jumped, 5000)).containsExactly(row(inOrder, 5000));
    assertThat(row(inOrder, 3)).isNotEqualTo(row(inOrder, 4));
    EmbeddingTable otherSeed = new EmbeddingTable("user", DIM, 0.1, 8, 16);
    otherSeed.ensureRow(3);
    assertThat(row(otherSeed, 3)).isNotEqualTo(row(inOrder, 3));
  }

  @Test
  void aStepsGradientsTakeOneCompactSlotPerTouchedRow() {
    EmbeddingTable t = new EmbeddingTable("item", DIM, 0.1, 1, 16);
    t.ensureRow(100);
    int a = t.gradOffset(42);
    int b = t.gradOffset(7);
    assertThat(t.gradOffset(42)).isEqualTo(a); // the same row, the same slot
    assertThat(a).isZero();
    assertThat(b).isEqualTo(DIM);
    assertThat(t.touchedCount()).isEqualTo(2);
    assertThat(t.touchedRows()).startsWith(42, 7);
    t.grads()[b] = 3.0;
    for (int id = 1; id <= 100; id++) { // slots grow past the map's first capacity
      t.gradOffset(id);
    }
    assertThat(t.touchedCount()).isEqualTo(100);
    assertThat(t.grads()[t.gradOffset(7)]).isEqualTo(3.0); // kept across the growth
    t.clearTouched();
    assertThat(t.touchedCount()).isZero();
    int again = t.gradOffset(7);
    assertThat(again).isZero();
    assertThat(t.grads()[again]).isZero(); // zeroed at its first touch in the new step
  }

  /** Records what a table tells its listener, in order. */
  private static final class Recorder implements RowChanges {
    final java.util.List<String> heard = new java.util.ArrayList<>();

    @Override
    public void changed(int id) {
      heard.add("changed " + id);
    }

    @Override
    public void reserved(int from, int to) {
      heard.add("reserved " + from + ".." + to);
    }
  }

  @Test
  void theListenerHearsOfEveryRowCreatedTrainedResetOrReserved() {
    EmbeddingTable t = new EmbeddingTable("item", DIM, 0.1, 1, 16);
    Recorder r = new Recorder();
    t.trackChanges(r);
    t.ensureRow(2); // created: rows 1 and 2
    t.gradOffset(2); // trained: its first touch in the step
    t.gradOffset(2); // the same step: heard once
    t.resetRow(1, 1); // re-initialised for a new key
    t.reserveRows(5); // materialised for a restore: rows 3 and 4
    assertThat(r.heard)
        .containsExactly("changed 1", "changed 2", "changed 2", "changed 1", "reserved 3..5");
    assertThat(t.changes()).isSameAs(r);
  }

  @Test
  void anUnfollowedTableTracksNothing() {
    EmbeddingTable t = new EmbeddingTable("item", DIM, 0.1, 1, 16);
    assertThat(t.changes()).isSameAs(RowChanges.NONE);
    t.ensureRow(3);
    t.gradOffset(3); // nothing to tell, nothing kept
    assertThat(t.touchedCount()).isEqualTo(1);
  }

  @Test
  void aResetRowGetsFreshValuesForItsGeneration() {
    EmbeddingTable t = new EmbeddingTable("item", DIM, 0.1, 1, 16);
    t.ensureRow(5);
    double[] first = row(t, 5);
    t.resetRow(5, 1);
    double[] second = row(t, 5);
    assertThat(second).isNotEqualTo(first);
    t.resetRow(5, 1);
    assertThat(row(t, 5)).containsExactly(second); // the same owner, the same start
  }

  @Test
  void rowStateRoundTripsInBothWidths() {
    for (boolean wide : new boolean[] {false, true}) {
      EmbeddingTable from = new EmbeddingTable("item", DIM, 0.1, 1, 16, wide);
      from.ensureRow(9);
      from.setValue(9, 2, 0.125);
      ByteBuffer buf = ByteBuffer.allocate(ai.hiformer.model.nn.RowCopies.stateBytes(from));
      ai.hiformer.model.nn.RowCopies.writeState(from, 9, buf);
      assertThat(buf.position()).isEqualTo(2 * DIM * (wide ? 8 : 4));
      EmbeddingTable to = new EmbeddingTable("item", DIM, 0.0, 2, 16, wide);
      to.reserveRows(10);
      buf.flip();
      ai.hiformer.model.nn.RowCopies.readState(to, 9, buf);
      assertThat(row(to, 9)).containsExactly(row(from, 9));
      assertThat(to.value(9, 2)).isEqualTo(0.125);
      assertThatThrownBy(
              () ->
                  ai.hiformer.model.nn.RowCopies.readState(
                      to, 10, ByteBuffer.allocate(ai.hiformer.model.nn.RowCopies.stateBytes(to))))
          .hasMessageContaining("outside table item");
    }
  }

  @Test
  void floatRowsRoundToFloatAndWideRowsDoNot() {
    EmbeddingTable narrow = new EmbeddingTable("x", DIM, 0.0, 1, 16);
    EmbeddingTable wide = new EmbeddingTable("x", DIM, 0.0, 1, 16, true);
    narrow.ensureRow(1);
    wide.ensureRow(1);
    narrow.setValue(1, 0, 0.1);
    wide.setValue(1, 0, 0.1);
    assertThat(narrow.value(1, 0)).isEqualTo((double) 0.1f);
    assertThat(wide.value(1, 0)).isEqualTo(0.1);
  }

  @Test
  void aFrozenTableRefusesNewRowsAndHoldsNoOptimiserState() {
    EmbeddingTable t = new EmbeddingTable("item", DIM, 0.1, 1, 16);
    t.ensureRow(4);
    long before = t.storageBytes();
    t.freeze();
    assertThat(t.hasOptimizerState()).isFalse();
    assertThat(t.storageBytes()).isLessThan(before);
    t.ensureRow(4); // existing rows are fine
    assertThatThrownBy(() -> t.ensureRow(5)).hasMessageContaining("read-only");
  }
}
