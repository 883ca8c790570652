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
 * those examples, m being the learners' mean step count. A delta carries each of its steps'
 * gradients, and the merge takes m Adam steps in order, step j with the mean gradient of the
 * learners' j-th steps (with unequal counts, of the steps in the j-th m-th of each learner's
 * period): the m steps one learner takes, each from gradients computed a few provisional steps away
 * from the common weights (delayed gradients), rather than m steps with their mean, which would
 * repeat one direction m times. Each row takes one Adagrad step with the sum of its steps'
 * gradients (rows are sparse: most move in one step of a period). With one step each it is the
 * exact step above. A delta holds a bounded number of step arrays ({@link StepGroups}): steps
 * beyond join the last, each then standing for the group's mean.
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
  private final StepGroups steps; // the dense gradients of the steps since the send
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
    int[] sizes = new int[common.length];
    for (int p = 0; p < common.length; p++) {
      Param source = params.get(p);
      common[p] = new Param(source.name(), source.shape());
      System.arraycopy(source.value(), 0, common[p].value(), 0, source.size());
      sizes[p] = source.size();
    }
    steps = new StepGroups(sizes);
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
    steps.add(params, examples);
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
   * The steps since the last send, for a delta ({@link StepGroups}), with the offset; starts the
   * next period's with none.
   */
  double[][] take() {
    double[][] out = steps.take(offsets);
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
   * {@link #stepsPerLearner m} Adam steps of the common weights, in order: step j with the mean
   * gradient of the learners' steps that fall in its share of their period (learner k's step t of
   * T_k in step ⌊t·m/T_k⌋; a step of a group of several carries the group's mean; summed in learner
   * order, then step order), then the learner's weights and Adam state become the common ones. With
   * one step each it is one step with the mean gradient of all the examples; with m each, step j
   * merges every learner's step j. No step when no learner trained.
   */
  void merge(PeerDelta[] all, List<Param> params, Adam local) {
    long examples = 0;
    for (PeerDelta d : all) {
      examples += d.examples();
    }
    if (examples > 0) {
      int[] groups = new int[all.length];
      for (int k = 0; k < all.length; k++) {
        groups[k] = steps.groupsIn(all[k]);
      }
      addOffsets(all, groups, examples);
      int m = stepsPerLearner(all);
      double[][] grads = new double[common.length][];
      for (int p = 0; p < common.length; p++) {
        grads[p] = common[p].grad();
      }
      for (int j = 0; j < m; j++) {
        if (steps.meanGradient(all, groups, m, j, grads)) {
          commonAdam.apply();
        }
      }
    }
    for (int p = 0; p < common.length; p++) {
      System.arraycopy(common[p].value(), 0, params.get(p).value(), 0, common[p].size());
    }
    local.copyStateFrom(commonAdam);
    atMerge = true;
  }

  private void addOffsets(PeerDelta[] all, int[] groups, long examples) {
    int n = common.length;
    for (int p = 0; p < n; p++) {
      double[] c = common[p].value();
      for (int k = 0; k < all.length; k++) {
        PeerDelta d = all[k];
        double[] off = steps.offset(d, groups[k], p);
        double share = d.examples() / (double) examples;
        for (int i = 0; i < off.length; i++) {
          c[i] += share * off[i];
        }
      }
    }
  }

  // ---- checkpointed state ----

  /**
   * Per parameter, in three runs: the common Adam's first and second moments, the offset (empty:
   * none); then one array holding 1 while no step followed the last merge; then per table the ids
   * of its row gradient sums (as doubles) and their cells; then the steps since the last send
   * ({@link StepGroups#stateArrays}).
   */
  double[][] stateArrays() {
    int n = common.length;
    int head = 3 * n + 1 + 2 * rowSums.length;
    double[][] groups = steps.stateArrays();
    double[][] out = new double[head + groups.length][];
    System.arraycopy(groups, 0, out, head, groups.length);
    for (int p = 0; p < n; p++) {
      double[][] mv = commonAdam.moments(p);
      out[p] = mv[0].clone();
      out[n + p] = mv[1].clone();
      out[2 * n + p] = offsets == null ? new double[0] : offsets[p].clone();
    }
    out[3 * n] = new double[] {atMerge ? 1 : 0};
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
      out[3 * n + 1 + 2 * t] = ids;
      out[3 * n + 2 + 2 * t] = cells;
    }
    return out;
  }

  long commonSteps() {
    return commonAdam.step();
  }

  /** Restores what {@link #stateArrays()} and {@link #commonSteps()} returned. */
  void restore(double[][] arrays, long commonSteps) {
    int n = common.length;
    int head = 3 * n + 1 + 2 * rowSums.length;
    steps.restore(arrays, head);
    for (int p = 0; p < n; p++) {
      double[][] mv = commonAdam.moments(p);
      System.arraycopy(arrays[p], 0, mv[0], 0, mv[0].length);
      System.arraycopy(arrays[n + p], 0, mv[1], 0, mv[1].length);
    }
    offsets = arrays[2 * n].length == 0 ? null : new double[n][];
    if (offsets != null) {
      for (int p = 0; p < n; p++) {
        offsets[p] = arrays[2 * n + p].clone();
      }
    }
    atMerge = arrays[3 * n][0] != 0;
    for (int t = 0; t < rowSums.length; t++) {
      RowBases sums = rowSums[t];
      sums.clear();
      double[] ids = arrays[3 * n + 1 + 2 * t];
      double[] cells = arrays[3 * n + 2 + 2 * t];
      for (int s = 0; s < ids.length; s++) {
        int slot = sums.add((int) ids[s]);
        for (int j = 0; j < sums.dim(); j++) {
          sums.set(slot, j, cells[s * sums.dim() + j], 0);
        }
      }
    }
    commonAdam.setStep(commonSteps);
  }
}
