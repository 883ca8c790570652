package ai.hiformer.model.train;

import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.nn.RowChanges;
import java.util.BitSet;
import java.util.List;

/**
 * The merge of {@link PeerExchange} written the plain way, for tests: K learners and a common model
 * in one process, exchanging in lock step, every learner and the common state replaced by the
 * merged state. {@code PeerExchangeTest} holds PeerExchange to it bit for bit; {@code
 * DeltaExchangeTest} holds it to the formula.
 */
public final class DeltaExchange {
  private final CtrModel common;
  private final List<Learner> learners;
  private final BitSet[][] changed; // [learner][table]: rows changed since the last exchange
  private final double[] delta;
  private final double[] accumulatorDelta;

  /**
   * @param common a model of the learners' configuration holding the state they all start from (the
   *     last merged state); it becomes the merged state at each {@link #exchange()}
   * @param learners the K learners, each on a model of the same configuration and initial state
   */
  public DeltaExchange(CtrModel common, List<Learner> learners) {
    this.common = common;
    this.learners = List.copyOf(learners);
    int tables = common.tables().size();
    this.changed = new BitSet[learners.size()][tables];
    int maxDim = 1;
    for (int k = 0; k < learners.size(); k++) {
      for (int t = 0; t < tables; t++) {
        BitSet rows = new BitSet();
        changed[k][t] = rows;
        learners.get(k).model().tables().get(t).trackChanges(new Tracker(rows));
      }
    }
    for (EmbeddingTable t : common.tables()) {
      maxDim = Math.max(maxDim, t.dim());
    }
    delta = new double[maxDim];
    accumulatorDelta = new double[maxDim];
  }

  /** Rows changed in a learner's table since the last exchange (ids only). */
  private record Tracker(BitSet rows) implements RowChanges {
    @Override
    public void changed(int id) {
      rows.set(id);
    }

    @Override
    public void reserved(int from, int to) {
      rows.set(from, to);
    }
  }

  /**
   * Merges every learner's delta into the common state and gives every learner the merged state:
   * the dense weights, and the rows any learner changed (values and Adagrad accumulators).
   *
   * @return the number of rows merged (over all tables)
   */
  public long exchange() {
    mergeDense();
    long rows = 0;
    for (int t = 0; t < common.tables().size(); t++) {
      rows += mergeRows(t);
    }
    common.params().weightsChanged();
    for (Learner l : learners) {
      l.model().params().weightsChanged();
    }
    return rows;
  }

  private void mergeDense() {
    List<Param> into = common.params().all();
    double[][] own = new double[learners.size()][];
    for (int p = 0; p < into.size(); p++) {
      double[] b = into.get(p).value();
      for (int k = 0; k < own.length; k++) {
        own[k] = learners.get(k).model().params().all().get(p).value();
      }
      for (int i = 0; i < b.length; i++) {
        double d = 0;
        for (double[] w : own) {
          d += w[i] - b[i];
        }
        b[i] += d / own.length;
      }
      for (double[] w : own) {
        System.arraycopy(b, 0, w, 0, b.length);
      }
    }
  }

  private long mergeRows(int t) {
    BitSet union = new BitSet();
    for (BitSet[] byTable : changed) {
      union.or(byTable[t]);
    }
    EmbeddingTable into = common.tables().get(t);
    int dim = into.dim();
    long merged = 0;
    for (int id = union.nextSetBit(1); id >= 0; id = union.nextSetBit(id + 1)) {
      into.ensureRow(id); // a new row: the same initial value every learner gave it
      java.util.Arrays.fill(delta, 0, dim, 0.0);
      java.util.Arrays.fill(accumulatorDelta, 0, dim, 0.0);
      int touchers = 0; // learners whose row moved: one that only created or read it does not count
      for (int k = 0; k < learners.size(); k++) {
        if (!changed[k][t].get(id)) {
          continue;
        }
        EmbeddingTable own = learners.get(k).model().tables().get(t);
        boolean moved = false;
        for (int j = 0; j < dim; j++) {
          double dv = own.value(id, j) - into.value(id, j);
          double da = accumulator(own, id, j) - accumulator(into, id, j);
          delta[j] += dv;
          accumulatorDelta[j] += da;
          moved |= dv != 0 || da != 0;
        }
        touchers += moved ? 1 : 0;
      }
      if (touchers > 0) {
        for (int j = 0; j < dim; j++) {
          into.setValue(id, j, into.value(id, j) + delta[j] / touchers);
          setAccumulator(into, id, j, accumulator(into, id, j) + accumulatorDelta[j]);
        }
      }
      for (Learner l : learners) {
        EmbeddingTable own = l.model().tables().get(t);
        own.ensureRow(id);
        for (int j = 0; j < dim; j++) {
          own.setValue(id, j, into.value(id, j));
          setAccumulator(own, id, j, accumulator(into, id, j));
        }
      }
      merged++;
    }
    for (BitSet[] byTable : changed) {
      byTable[t].clear();
    }
    return merged;
  }

  private static double accumulator(EmbeddingTable t, int id, int j) {
    return Rows.accumulator(t, id, j);
  }

  private static void setAccumulator(EmbeddingTable t, int id, int j, double v) {
    Rows.setAccumulator(t, id, j, v);
  }
}
