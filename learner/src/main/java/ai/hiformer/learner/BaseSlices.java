package ai.hiformer.learner;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.model.CtrModel;
import java.util.List;

/**
 * Cuts a model's base into {@code count} slices published one per update ({@link ModelUpdate}
 * "HFU3"), in cycles: slice 0 fixes the cycle's id ranges (each table's and vocabulary's size at
 * that moment, cut into {@code count} equal shares). A cycle's slices thus cover every id that
 * existed when it began, and the increments from then on carry everything created or changed after
 * that (ids are handed out in order, so an id past the cycle's range is newer than the cycle; a
 * recycled one's new owner is a change). Rows created during the cycle are deliberately left out of
 * its slices: while a model grows fast (a learner catching up), covering them put tens of megabytes
 * into the cycle's last slice. Not part of the learner's state: after a restore the learner
 * publishes a full update and begins a new cycle.
 */
final class BaseSlices {
  private final int count;
  private int next;
  private int[] tableRows = new int[0];
  private int[] vocabularyRows = new int[0];

  BaseSlices(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("base slices: count " + count + "; allowed: >= 1");
    }
    this.count = count;
  }

  int count() {
    return count;
  }

  /** The next slice's ranges (a new cycle's at slice 0). */
  Slice next(CtrModel model, FeatureEncoder encoder) {
    if (next == 0) {
      List<ai.hiformer.model.nn.EmbeddingTable> tables = model.tables();
      tableRows = new int[tables.size()];
      for (int t = 0; t < tableRows.length; t++) {
        tableRows[t] = tables.get(t).rows();
      }
      vocabularyRows = new int[encoder.layout().nCat() + encoder.layout().nMulti()];
      for (int f = 0; f < vocabularyRows.length; f++) {
        vocabularyRows[f] = encoder.vocabulary(f).rowCount();
      }
    }
    Slice s = new Slice(next, count, tableRows, vocabularyRows);
    next = (next + 1) % count;
    return s;
  }

  /**
   * Slice {@code index} of {@code count}: ids {@code [start, end)} of each table and vocabulary.
   */
  record Slice(int index, int count, int[] tableRows, int[] vocabularyRows) {
    int tableStart(int table) {
      return share(tableRows[table], index);
    }

    int tableEnd(int table) {
      return share(tableRows[table], index + 1);
    }

    int vocabularyStart(int field) {
      return share(vocabularyRows[field], index);
    }

    int vocabularyEnd(int field) {
      return share(vocabularyRows[field], index + 1);
    }

    private int share(int n, int i) {
      return (int) ((long) n * i / count);
    }
  }
}
