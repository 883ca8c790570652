package ai.hiformer.model.train;

import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.nn.RowChanges;
import ai.hiformer.model.optim.Adam;
import ai.hiformer.model.optim.SparseAdagrad;
import java.util.Arrays;
import java.util.List;

/**
 * {@link PeerExchange.Merge#GRADIENTS}: the learners exchange the gradients of their steps, and
 * every learner applies one Adam step to the common dense weights with their mean, from Adam
 * moments that are common too, and one Adagrad step to each common row any of them moved, with the
 * mean gradient of that row over all their examples. With each learner stepping on 1/K of the
 * micro-batch and an exchange after every step, the common weights then move exactly as one
 * learner's would on the whole micro-batch (the mean of the K shares' mean gradients, weighted by
 * their examples, is the mean gradient of the batch), where averaging K Adam steps taken on noisier
 * 1/K shares moves them less; likewise each row then moves as one learner's would, where averaging
 * the K learners' rows (each stepped with its own share's gradient) moves rows that several
 * learners touch less and inflates their accumulators.
 *
 * <p>A learner's own steps between exchanges are provisional: at a merge its weights become the
 * common ones, and the gradients of the steps it took after sending go into its next delta, so no
 * example is lost and none counted twice. After a merge its model is exactly the common state: rows
 * it moved are reset to their merged or common value, and its Adam takes the common moments.
 *
 * <p>An exchange may cover several steps of each learner (a period longer than a micro-batch, or a
 * learner that trained on while the exchange travelled). One learner would have taken m steps on
 * those examples, m being the learners' mean step count; the merge takes m Adam steps with the mean
 * gradient, and each row one Adagrad step with m times its mean gradient (the sum of its m steps'
 * gradients, as if they had been equal). With one step each it is the exact step above; with more
 * it keeps the pace of one learner where a single step on the mean would fall behind.
 *
 * <p>Weights can also move outside a gradient step: a new model centres its first logits by
 * shifting its output bias on its first batch. A learner notes such a move as its <em>offset</em>,
 * its weights at its first step after a merge minus the common ones, and the merge adds the mean
 * offset, weighted by examples, before the Adam step: K learners centring on K shares of the first
 * micro-batch then shift the common weights by the mean logit of the whole batch, as one learner
 * does.
 */
final class GradientMerge {
  private final Param[] common; // the common dense weights; grad() holds the merged gradient
  private final Adam commonAdam;
  private final List<EmbeddingTable> tables;
  private final SparseAdagrad adagrad;
  private final RowBases[] rowSums; // per table: Σ examples · row gradient since the send
  private final double[][] sums; // Σ examples · gradient over this learner's steps since its send
  private double[][] offsets; // weights − common at the first step after a merge; null: none
  private boolean atMerge = true; // no step since the last merge (or the start)

  /** Starts from the learner's current weights and Adam state as the common ones. */
  GradientMerge(CtrModel model, Adam local, SparseAdagrad adagrad) {
    List<Param> params = model.params().all();
    this.tables = model.tables();
    this.adagrad = adagrad;
    rowSums = new RowBases[tables.size()];
    for (int t = 0; t < rowSums.length; t++) {
      rowSums[t] = new RowBases(tables.get(t).dim());
    }
    common = new Param[params.size()];
    sums = new double[common.length][];
    for (int p = 0; p < common.length; p++) {
      Param source = params.get(p);
      common[p] = new Param(source.name(), source.shape());
      System.arraycopy(source.value(), 0, common[p].value(), 0, source.size());
      sums[p] = new double[source.size()];
    }
    commonAdam = local.sibling(List.of(common));
    commonAdam.copyStateFrom(local);
  }

  /** The common dense weights, live: index p is parameter p. */
  double[][] commonDense() {
    double[][] out = new double[common.length][];
    for (int p = 0; p < common.length; p++) {
      out[p] = common[p].value();
    }
    return out;
  }

  /** Adds a step's gradients (of a loss that is the mean over {@code examples}), rows included. */
  void add(List<Param> params, int examples) {
    for (int t = 0; t < rowSums.length; t++) {
      addRows(tables.get(t), rowSums[t], examples);
    }
    if (atMerge) {
      atMerge = false;
      offsets = offsets(params);
    }
    for (int p = 0; p < sums.length; p++) {
      double[] g = params.get(p).grad();
      double[] s = sums[p];
      for (int i = 0; i < s.length; i++) {
        s[i] += examples * g[i];
      }
    }
  }

  private static void addRows(EmbeddingTable table, RowBases sums, int examples) {
    int dim = table.dim();
    int[] ids = table.touchedRows();
    double[] g = table.grads();
    for (int i = 0, n = table.touchedCount(); i < n; i++) {
      int slot = sums.slot(ids[i]);
      if (slot < 0) {
        slot = sums.add(ids[i]);
        for (int j = 0; j < dim; j++) {
          sums.set(slot, j, 0, 0);
        }
      }
      for (int j = 0; j < dim; j++) {
        sums.set(slot, j, sums.value(slot, j) + examples * g[i * dim + j], 0);
      }
    }
  }

  /**
   * Table {@code t}'s row gradient sums since the last send, by ascending id, rounded as the table
   * stores values (so the sender merges the bits its peers receive); starts the next period's.
   */
  PeerDelta.Rows takeRows(int t) {
    EmbeddingTable table = tables.get(t);
    RowBases sums = rowSums[t];
    int dim = table.dim();
    int[] ids = new int[sums.size()];
    for (int s = 0; s < ids.length; s++) {
      ids[s] = sums.idAt(s);
    }
    Arrays.sort(ids);
    double[] values = new double[ids.length * dim];
    for (int i = 0; i < ids.length; i++) {
      int slot = sums.slot(ids[i]);
      for (int j = 0; j < dim; j++) {
        values[i * dim + j] = Rows.stored(table, sums.value(slot, j));
      }
    }
    sums.clear();
    return new PeerDelta.Rows(table.wide(), dim, ids, values, new double[0]);
  }

  /**
   * Merges table {@code t}: each row any learner moved takes one Adagrad step from its common value
   * with {@code m · Σ_k sums_k / examples}, the sum of the mean gradients of the m steps one
   * learner would have taken ({@link #stepsPerLearner}); every row this learner moved returns to
   * the common state.
   *
   * @return the rows merged
   */
  int mergeRows(int t, PeerDelta[] all, long examples, RowBases bases, RowChanges downstream) {
    EmbeddingTable table = tables.get(t);
    int dim = table.dim();
    int[] union = Rows.union(all, t);
    int[] cursor = new int[all.length];
    double[] g = new double[dim];
    int steps = stepsPerLearner(all);
    for (int id : union) {
      table.ensureRow(id);
      int slot = bases.slot(id);
      if (slot >= 0) {
        resetToBase(table, id, bases, slot);
      }
      Arrays.fill(g, 0.0);
      for (int k = 0; k < all.length; k++) {
        PeerDelta.Rows d = all[k].tables()[t];
        while (cursor[k] < d.count() && d.ids()[cursor[k]] < id) {
          cursor[k]++;
        }
        if (cursor[k] < d.count() && d.ids()[cursor[k]] == id) {
          for (int j = 0; j < dim; j++) {
            g[j] += d.values()[cursor[k] * dim + j];
          }
        }
      }
      for (int j = 0; j < dim; j++) {
        g[j] = g[j] * steps / examples;
      }
      adagrad.applyRow(table, id, g, 0);
      downstream.changed(id);
    }
    for (int s = 0; s < bases.size(); s++) {
      int id = bases.idAt(s);
      if (Arrays.binarySearch(union, id) < 0) {
        resetToBase(table, id, bases, s);
        downstream.changed(id);
      }
    }
    bases.clear();
    return union.length;
  }

  private static void resetToBase(EmbeddingTable table, int id, RowBases bases, int slot) {
    for (int j = 0; j < table.dim(); j++) {
      table.setValue(id, j, bases.value(slot, j));
      Rows.setAccumulator(table, id, j, bases.accumulator(slot, j));
    }
  }

  private double[][] offsets(List<Param> params) {
    double[][] out = null;
    for (int p = 0; p < common.length; p++) {
      double[] w = params.get(p).value();
      double[] c = common[p].value();
      for (int i = 0; i < w.length; i++) {
        if (w[i] != c[i]) {
          if (out == null) {
            out = new double[common.length][];
          }
          if (out[p] == null) {
            out[p] = new double[w.length];
          }
          out[p][i] = w[i] - c[i];
        }
      }
    }
    if (out != null) {
      for (int p = 0; p < out.length; p++) {
        out[p] = out[p] == null ? new double[common[p].size()] : out[p];
      }
    }
    return out;
  }

  /**
   * The sums since the last send, for a delta, followed by the offset (one array per parameter,
   * empty when there is none); starts the next period's at 0.
   */
  double[][] take() {
    int n = sums.length;
    double[][] out = new double[2 * n][];
    for (int p = 0; p < n; p++) {
      out[p] = sums[p].clone();
      out[n + p] = offsets == null ? new double[0] : offsets[p];
      Arrays.fill(sums[p], 0.0);
    }
    offsets = null;
    return out;
  }

  /**
   * The steps one learner would have taken on the exchange's examples: the learners' mean (each
   * steps on 1/K of the micro-batch), at least 1.
   */
  static int stepsPerLearner(PeerDelta[] all) {
    long steps = 0;
    for (PeerDelta d : all) {
      steps += d.steps();
    }
    return (int) Math.max(1, Math.round(steps / (double) all.length));
  }

  /**
   * {@link #stepsPerLearner m} Adam steps of the common weights with {@code Σ_k sums_k / Σ_k
   * examples_k} (summed in learner order), then the learner's weights and Adam state become the
   * common ones. No step when no learner trained.
   */
  void merge(PeerDelta[] all, List<Param> params, Adam local) {
    long examples = 0;
    for (PeerDelta d : all) {
      examples += d.examples();
    }
    if (examples > 0) {
      addOffsets(all, examples);
      for (int p = 0; p < common.length; p++) {
        double[] g = common[p].grad();
        for (int i = 0; i < g.length; i++) {
          double s = 0;
          for (PeerDelta d : all) {
            s += d.dense()[p][i];
          }
          g[i] = s / examples;
        }
      }
      for (int s = stepsPerLearner(all); s > 0; s--) {
        commonAdam.apply();
      }
    }
    for (int p = 0; p < common.length; p++) {
      System.arraycopy(common[p].value(), 0, params.get(p).value(), 0, common[p].size());
    }
    local.copyStateFrom(commonAdam);
    atMerge = true;
  }

  private void addOffsets(PeerDelta[] all, long examples) {
    int n = common.length;
    for (int p = 0; p < n; p++) {
      double[] c = common[p].value();
      for (PeerDelta d : all) {
        double[] off = d.dense()[n + p];
        double share = d.examples() / (double) examples;
        for (int i = 0; i < off.length; i++) {
          c[i] += share * off[i];
        }
      }
    }
  }

  // ---- checkpointed state ----

  /**
   * Per parameter, in four runs: the gradient sums since the last send, the common Adam's first and
   * second moments, the offset (empty: none); then one array holding 1 while no step followed the
   * last merge; then per table the ids of its row gradient sums (as doubles) and their cells.
   */
  double[][] stateArrays() {
    int n = common.length;
    double[][] out = new double[4 * n + 1 + 2 * rowSums.length][];
    for (int t = 0; t < rowSums.length; t++) {
      RowBases sums = rowSums[t];
      int dim = sums.dim();
      double[] ids = new double[sums.size()];
      double[] cells = new double[sums.size() * dim];
      for (int s = 0; s < ids.length; s++) {
        ids[s] = sums.idAt(s);
        for (int j = 0; j < dim; j++) {
          cells[s * dim + j] = sums.value(s, j);
        }
      }
      out[4 * n + 1 + 2 * t] = ids;
      out[4 * n + 2 + 2 * t] = cells;
    }
    for (int p = 0; p < n; p++) {
      double[][] mv = commonAdam.moments(p);
      out[p] = sums[p].clone();
      out[n + p] = mv[0].clone();
      out[2 * n + p] = mv[1].clone();
      out[3 * n + p] = offsets == null ? new double[0] : offsets[p].clone();
    }
    out[4 * n] = new double[] {atMerge ? 1 : 0};
    return out;
  }

  long commonSteps() {
    return commonAdam.step();
  }

  /** Restores what {@link #stateArrays()} and {@link #commonSteps()} returned. */
  void restore(double[][] arrays, long steps) {
    int n = common.length;
    int expected = 4 * n + 1 + 2 * rowSums.length;
    if (arrays.length != expected) {
      throw new IllegalArgumentException(
          "saved gradient-merge state has "
              + arrays.length
              + " arrays; the model needs "
              + expected);
    }
    for (int t = 0; t < rowSums.length; t++) {
      RowBases sums = rowSums[t];
      sums.clear();
      double[] ids = arrays[4 * n + 1 + 2 * t];
      double[] cells = arrays[4 * n + 2 + 2 * t];
      for (int s = 0; s < ids.length; s++) {
        int slot = sums.add((int) ids[s]);
        for (int j = 0; j < sums.dim(); j++) {
          sums.set(slot, j, cells[s * sums.dim() + j], 0);
        }
      }
    }
    offsets = arrays[3 * n].length == 0 ? null : new double[n][];
    for (int p = 0; p < n; p++) {
      double[][] mv = commonAdam.moments(p);
      System.arraycopy(arrays[p], 0, sums[p], 0, sums[p].length);
      System.arraycopy(arrays[n + p], 0, mv[0], 0, mv[0].length);
      System.arraycopy(arrays[2 * n + p], 0, mv[1], 0, mv[1].length);
      if (offsets != null) {
        offsets[p] = arrays[3 * n + p].clone();
      }
    }
    atMerge = arrays[4 * n][0] != 0;
    commonAdam.setStep(steps);
  }
}
