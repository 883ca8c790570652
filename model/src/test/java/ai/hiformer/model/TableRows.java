package ai.hiformer.model;

import ai.hiformer.model.nn.EmbeddingTable;

/** Flat double views of an embedding table for tests: row r at {@code r · dim}, rows 0..rows-1. */
final class TableRows {
  private TableRows() {}

  static double[] values(EmbeddingTable t) {
    return ai.hiformer.model.nn.RowCopies.valuesAsDoubles(t);
  }

  static double[] accumulators(EmbeddingTable t) {
    return ai.hiformer.model.nn.RowCopies.accumulatorsAsDoubles(t);
  }

  /** This step's gradients scattered to their rows (zero for rows not touched). */
  static double[] grads(EmbeddingTable t) {
    double[] out = new double[t.rows() * t.dim()];
    for (int s = 0; s < t.touchedCount(); s++) {
      System.arraycopy(t.grads(), s * t.dim(), out, t.touchedRows()[s] * t.dim(), t.dim());
    }
    return out;
  }

  /**
   * Sets the first {@code flat.length / dim} rows (rounded to float32 unless the table is wide).
   */
  static void setValues(EmbeddingTable t, double[] flat) {
    ai.hiformer.model.nn.RowCopies.restoreValues(t, flat);
  }
}
