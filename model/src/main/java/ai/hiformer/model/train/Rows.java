package ai.hiformer.model.train;

import ai.hiformer.model.nn.EmbeddingTable;
import java.util.Arrays;

/** Row arithmetic of {@link PeerExchange}: what a learner sends, and one row's merge. */
final class Rows {
  private Rows() {}

  static double accumulator(EmbeddingTable t, int id, int j) {
    int o = t.offsetInPage(id) + j;
    return t.wide() ? t.wideAccumulatorPage(id)[o] : t.accumulatorPage(id)[o];
  }

  /** Rounded to float32 unless the table is wide, as the optimiser stores it. */
  static void setAccumulator(EmbeddingTable t, int id, int j, double v) {
    int o = t.offsetInPage(id) + j;
    if (t.wide()) {
      t.wideAccumulatorPage(id)[o] = v;
    } else {
      t.accumulatorPage(id)[o] = (float) v;
    }
  }

  /** {@code v} as the table stores it. */
  static double stored(EmbeddingTable t, double v) {
    return t.wide() ? v : (float) v;
  }

  /** The rows of {@code bases} whose value or accumulator moved from its base, by ascending id. */
  static PeerDelta.Rows moved(EmbeddingTable table, RowBases bases) {
    int dim = table.dim();
    int[] ids = new int[bases.size()];
    int n = 0;
    for (int s = 0; s < bases.size(); s++) {
      int id = bases.idAt(s);
      for (int j = 0; j < dim; j++) {
        if (table.value(id, j) != bases.value(s, j)
            || accumulator(table, id, j) != bases.accumulator(s, j)) {
          ids[n++] = id;
          break;
        }
      }
    }
    ids = Arrays.copyOf(ids, n);
    Arrays.sort(ids);
    double[] values = new double[n * dim];
    double[] accumulators = new double[n * dim];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < dim; j++) {
        values[i * dim + j] = table.value(ids[i], j);
        accumulators[i * dim + j] = accumulator(table, ids[i], j);
      }
    }
    return new PeerDelta.Rows(table.wide(), dim, ids, values, accumulators);
  }

  /** The ids any delta moved in table {@code t}, ascending, each once. */
  static int[] union(PeerDelta[] all, int t) {
    int n = 0;
    for (PeerDelta d : all) {
      n += d.tables()[t].count();
    }
    int[] ids = new int[n];
    int at = 0;
    for (PeerDelta d : all) {
      int[] own = d.tables()[t].ids();
      System.arraycopy(own, 0, ids, at, own.length);
      at += own.length;
    }
    Arrays.sort(ids);
    int unique = 0;
    for (int i = 0; i < n; i++) {
      if (unique == 0 || ids[unique - 1] != ids[i]) {
        ids[unique++] = ids[i];
      }
    }
    return Arrays.copyOf(ids, unique);
  }

  /**
   * One row's merge, row after row in ascending id: {@code common + (1/m) Σ Δ_k} over the m deltas
   * whose copy moved, the accumulator {@code common + Σ ΔG_k}, sums in learner order ({@link
   * PeerExchange}); the learner's own row becomes the merged one plus what it learnt after sending.
   */
  static final class Merge {
    private final EmbeddingTable table;
    private final PeerDelta.Rows[] deltas; // by learner
    private final int self;
    private final int dim;
    private final double[] common;
    private final double[] commonAccumulator;
    private final double[] sum;
    private final double[] accumulatorSum;

    Merge(EmbeddingTable table, PeerDelta[] all, int t, PeerDelta.Rows own, int self) {
      this.table = table;
      this.deltas = new PeerDelta.Rows[all.length];
      for (int k = 0; k < all.length; k++) {
        deltas[k] = all[k].tables()[t];
      }
      deltas[self] = own;
      this.self = self;
      this.dim = table.dim();
      common = new double[dim];
      commonAccumulator = new double[dim];
      sum = new double[dim];
      accumulatorSum = new double[dim];
    }

    /**
     * Merges row {@code id} into the table; {@code cursor[k]} walks delta k's ascending ids.
     *
     * @param slot the row's slot in {@code bases}, or -1 when this learner has not moved it
     * @return whether this learner moved the row after sending (it keeps a base)
     */
    boolean apply(int id, int[] cursor, RowBases bases, int slot) {
      for (int j = 0; j < dim; j++) {
        common[j] = slot >= 0 ? bases.value(slot, j) : table.value(id, j);
        commonAccumulator[j] = slot >= 0 ? bases.accumulator(slot, j) : accumulator(table, id, j);
      }
      Arrays.fill(sum, 0.0);
      Arrays.fill(accumulatorSum, 0.0);
      int touchers = 0;
      int ownAt = -1;
      for (int k = 0; k < deltas.length; k++) {
        PeerDelta.Rows d = deltas[k];
        while (cursor[k] < d.count() && d.ids()[cursor[k]] < id) {
          cursor[k]++;
        }
        if (cursor[k] >= d.count() || d.ids()[cursor[k]] != id) {
          continue;
        }
        int o = cursor[k] * dim;
        ownAt = k == self ? o : ownAt;
        boolean moved = false;
        for (int j = 0; j < dim; j++) {
          double dv = d.values()[o + j] - common[j];
          double da = d.accumulators()[o + j] - commonAccumulator[j];
          sum[j] += dv;
          accumulatorSum[j] += da;
          moved |= dv != 0 || da != 0;
        }
        touchers += moved ? 1 : 0;
      }
      boolean keepsLocal = false;
      for (int j = 0; j < dim; j++) {
        double before = common[j];
        double beforeAccumulator = commonAccumulator[j];
        common[j] = touchers > 0 ? stored(table, before + sum[j] / touchers) : before;
        commonAccumulator[j] = stored(table, beforeAccumulator + accumulatorSum[j]);
        double local = 0;
        double localAccumulator = 0;
        if (slot >= 0) {
          double sentValue = ownAt >= 0 ? deltas[self].values()[ownAt + j] : before;
          double sentAccumulator =
              ownAt >= 0 ? deltas[self].accumulators()[ownAt + j] : beforeAccumulator;
          local = table.value(id, j) - sentValue;
          localAccumulator = accumulator(table, id, j) - sentAccumulator;
        }
        keepsLocal |= local != 0 || localAccumulator != 0;
        table.setValue(id, j, common[j] + local);
        setAccumulator(table, id, j, commonAccumulator[j] + localAccumulator);
      }
      return keepsLocal;
    }

    double commonValue(int j) {
      return common[j];
    }

    double commonAccumulator(int j) {
      return commonAccumulator[j];
    }
  }
}
