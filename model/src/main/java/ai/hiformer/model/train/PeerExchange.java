package ai.hiformer.model.train;

import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.nn.RowChanges;
import ai.hiformer.model.optim.Adam;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * One learner's side of K learners of one model that exchange what they learnt while each keeps
 * training ({@code learn.parallelism=K} in a job; in lock step, {@code evaluate --learners K}),
 * over a channel that may deliver late, twice, or from before a restore.
 *
 * <p><b>The merge</b> ({@link Merge}): {@link GradientMerge} takes one optimiser step of the common
 * state with the learners' mean gradient, as one learner would; {@link WeightMerge} averages the
 * learners' own steps. Sums run in learner order in double and are stored as the weights are
 * (float32 rows). A row's initial value is a function of (seed, table, row) alone, so learners that
 * create the same row agree on it and a delta carries only what training added.
 *
 * <p>Every learner holds the <em>common</em> state (the last merged one) implicitly: its own model
 * is the common state plus what it learnt since, and for each row it moved since then it keeps the
 * row's common value (its base, captured at the row's first touch, {@link RowBases}); the dense
 * common weights are a copy. At exchange e a learner {@link #send}s its weights and moved rows as
 * they stand ({@link PeerDelta}) and trains on. Once it holds all K deltas of e (its own and K−1
 * {@link #receive}d) it {@link #applyReady applies} e: the common state becomes {@code common +
 * merge(Δ_0..Δ_K−1)}, each Δ_k being delta k's weights minus the common state, and its model the
 * new common state plus what it learnt after sending. Every learner applies the same deltas to the
 * same common state, in learner order, so all compute the same bits. A learner sends e + 1 only
 * after applying e: none runs more than one exchange ahead of the slowest.
 *
 * <p><b>Restores.</b> Deltas carry an epoch: which restore of the job sent them. After a restore
 * every learner is back at one consistent cut, and deltas sent after it by the state the restore
 * discarded must not count, so a learner accepts deltas of its current epoch only and sends again,
 * under the new epoch, the deltas it sent before the cut that a peer may still lack ({@link
 * #toResend}): its own delta of the exchange it applied last (a peer may not have read it yet) and
 * of the one it waits for. A delta of an exchange already applied, or one already held, is ignored.
 *
 * <p>Row ids must mean the same key in every learner (hashed keys: the id is a function of the
 * value), and a row is never re-initialised for a new key while learners exchange.
 */
public final class PeerExchange {
  /** What the learners merge ({@code learn.exchange}). */
  public enum Merge {
    /** The mean of the learners' weights and rows: their own optimiser steps, averaged. */
    WEIGHTS,
    /** One optimiser step with the learners' mean gradient, as one learner would take it. */
    GRADIENTS
  }

  private final CtrModel model;
  private final Adam adam;
  private final GradientMerge gradients; // null: merging weights
  private long examples; // trained since the last send
  private int steps; // taken since the last send
  private long mergedExamples; // of all learners, in the exchanges applied
  private final int learner;
  private final int learners;
  private final double[][] commonDense;
  private RowBases[] bases;
  private RowBases[] spare;
  private final RowChanges[] downstream;
  private boolean applying;
  private long epoch;
  private long applied;
  private PeerDelta ownApplied; // own delta of exchange `applied`, kept for a peer that lacks it
  private PeerDelta ownPending; // own delta of exchange `applied + 1`, once sent
  private final TreeMap<Long, PeerDelta[]> received = new TreeMap<>();

  /**
   * Starts from {@code model}'s current state as the common state, which every learner must share.
   * Attaches to the model's tables in front of their listeners ({@link EmbeddingTable#changes()}),
   * which keep hearing of every change.
   *
   * @param owner the learner whose model this is; its steps are counted (and, merging gradients,
   *     their gradients summed) from now on
   * @param learner this learner's index, {@code 0 .. learners−1}
   */
  public PeerExchange(Learner owner, int learner, int learners, Merge merge) {
    if (learners < 2 || learner < 0 || learner >= learners) {
      throw new IllegalArgumentException(
          String.format(
              "invalid learner %d of %d; allowed: 0 <= learner < learners, learners >= 2",
              learner, learners));
    }
    this.model = owner.model();
    this.adam = owner.adam();
    this.learner = learner;
    this.learners = learners;
    List<Param> params = model.params().all();
    gradients = merge == Merge.GRADIENTS ? new GradientMerge(model, adam, owner.adagrad()) : null;
    commonDense = gradients != null ? gradients.commonDense() : WeightMerge.copyOf(params);
    owner.stepTap(
        batch -> {
          examples += batch.size();
          steps++;
          if (gradients != null) {
            gradients.add(params, batch.size());
          }
        });
    int tables = model.tables().size();
    bases = new RowBases[tables];
    spare = new RowBases[tables];
    downstream = new RowChanges[tables];
    for (int t = 0; t < tables; t++) {
      EmbeddingTable table = model.tables().get(t);
      bases[t] = new RowBases(table.dim());
      spare[t] = new RowBases(table.dim());
      downstream[t] = table.changes();
      table.trackChanges(new Capture(t));
    }
  }

  /** Captures a row's common value at its first touch since the last merge. */
  private final class Capture implements RowChanges {
    private final int t;

    Capture(int t) {
      this.t = t;
    }

    @Override
    public void changed(int id) {
      EmbeddingTable table = model.tables().get(t);
      // A row being created (id beyond the rows so far) has not drawn its initial value yet; its
      // first training touch, which follows, captures that value.
      if (!applying && id < table.rows() && bases[t].slot(id) < 0) {
        int slot = bases[t].add(id);
        for (int j = 0; j < table.dim(); j++) {
          bases[t].set(slot, j, table.value(id, j), Rows.accumulator(table, id, j));
        }
      }
      downstream[t].changed(id);
    }

    @Override
    public void reserved(int from, int to) {
      downstream[t].reserved(from, to);
    }

    @Override
    public RowChanges next() {
      return downstream[t];
    }
  }

  /**
   * Re-initialises a row for a new key in this learner and in its common state, as every learner
   * does at the same point of the stream (an offline simulation's exact vocabulary; a job's
   * learners use hashed keys and never do): what it learnt about the old key is gone, and what it
   * learns from now on is its delta.
   */
  public void resetRow(int field, int id, long generation) {
    EmbeddingTable table = model.tables().get(field);
    applying = true;
    try {
      model.resetRow(field, id, generation);
    } finally {
      applying = false;
    }
    int slot = bases[field].slot(id);
    if (slot >= 0) {
      for (int j = 0; j < table.dim(); j++) {
        bases[field].set(slot, j, table.value(id, j), Rows.accumulator(table, id, j));
      }
    }
  }

  /** The epoch deltas are sent under and accepted from (set after each restore). */
  public void epoch(long epoch) {
    this.epoch = epoch;
    for (var entry : received.entrySet()) {
      PeerDelta[] byLearner = entry.getValue();
      for (int k = 0; k < byLearner.length; k++) {
        if (k != learner && byLearner[k] != null && byLearner[k].epoch() != epoch) {
          // Received before the cut: still part of it, as its sender's state holds that delta.
          byLearner[k] = retag(byLearner[k], epoch);
        }
      }
    }
  }

  /** Exchanges applied so far: the common state is the merge of exchanges 1 .. this. */
  public long applied() {
    return applied;
  }

  /** The examples of all learners that the exchanges applied merged, each once. */
  public long mergedExamples() {
    return mergedExamples;
  }

  /**
   * Whether this learner has sent an exchange it has not applied yet (and may not send another).
   */
  public boolean waiting() {
    return ownPending != null;
  }

  /** Whether a peer has sent the exchange this learner has not sent yet: it waits for this one. */
  public boolean awaited() {
    return ownPending == null && received.containsKey(applied + 1);
  }

  /**
   * Whether this learner, {@link #waiting()}, still lacks {@code peer}'s delta of the exchange it
   * waits for.
   */
  public boolean lacks(int peer) {
    if (ownPending == null || peer == learner) {
      return false;
    }
    PeerDelta[] held = received.get(applied + 1);
    return held == null || held[peer] == null;
  }

  /**
   * This learner's delta of exchange {@code applied() + 1}: its dense weights and the rows it moved
   * since the common state, as they stand now.
   *
   * @throws IllegalStateException while {@link #waiting()}
   */
  public PeerDelta send() {
    if (ownPending != null) {
      throw new IllegalStateException("exchange " + (applied + 1) + " is sent and not yet applied");
    }
    List<Param> params = model.params().all();
    double[][] dense = gradients == null ? WeightMerge.copyOf(params) : gradients.take();
    PeerDelta.Rows[] rows = new PeerDelta.Rows[bases.length];
    for (int t = 0; t < rows.length; t++) {
      rows[t] =
          gradients == null ? Rows.moved(model.tables().get(t), bases[t]) : gradients.takeRows(t);
    }
    ownPending = new PeerDelta(applied + 1, learner, epoch, examples, steps, dense, rows);
    examples = 0;
    steps = 0;
    slot(ownPending)[learner] = ownPending;
    return ownPending;
  }

  /**
   * Holds a peer's delta until its exchange is complete.
   *
   * @return whether it was new: false for another epoch's, an applied exchange's, a duplicate, or
   *     this learner's own
   */
  public boolean receive(PeerDelta delta) {
    if (delta.epoch() != epoch || delta.exchange() <= applied || delta.learner() == learner) {
      return false;
    }
    if (delta.learner() < 0 || delta.learner() >= learners) {
      throw new IllegalArgumentException(
          "delta from learner " + delta.learner() + " of a model with " + learners + " learners");
    }
    PeerDelta[] byLearner = slot(delta);
    if (byLearner[delta.learner()] != null) {
      return false;
    }
    byLearner[delta.learner()] = delta;
    return true;
  }

  private PeerDelta[] slot(PeerDelta delta) {
    return received.computeIfAbsent(delta.exchange(), e -> new PeerDelta[learners]);
  }

  /**
   * Applies every exchange whose K deltas are all held, in order.
   *
   * @return the number of rows merged (0 when none was complete)
   */
  public long applyReady() {
    long rows = 0;
    while (ownPending != null) {
      PeerDelta[] all = received.get(applied + 1);
      for (PeerDelta d : all) {
        if (d == null) {
          return rows;
        }
      }
      rows += apply(all);
      for (PeerDelta d : all) {
        mergedExamples += d.examples();
      }
      received.remove(applied + 1);
      applied++;
      ownApplied = ownPending;
      ownPending = null;
    }
    return rows;
  }

  /** This learner's deltas that a peer may still lack after a restore, under the current epoch. */
  public List<PeerDelta> toResend() {
    List<PeerDelta> out = new ArrayList<>(2);
    if (ownApplied != null) {
      out.add(retag(ownApplied, epoch));
    }
    if (ownPending != null) {
      out.add(retag(ownPending, epoch));
    }
    return out;
  }

  private static PeerDelta retag(PeerDelta d, long epoch) {
    return new PeerDelta(
        d.exchange(), d.learner(), epoch, d.examples(), d.steps(), d.dense(), d.tables());
  }

  private long apply(PeerDelta[] all) {
    applying = true;
    try {
      mergeDense(all);
      long rows = 0;
      long examples = 0;
      for (PeerDelta d : all) {
        examples += d.examples();
      }
      for (int t = 0; t < bases.length; t++) {
        rows +=
            gradients == null
                ? mergeRows(t, all)
                : gradients.mergeRows(t, all, examples, bases[t], downstream[t]);
      }
      model.params().weightsChanged();
      return rows;
    } finally {
      applying = false;
    }
  }

  private void mergeDense(PeerDelta[] all) {
    List<Param> params = model.params().all();
    if (gradients != null) {
      gradients.merge(all, params, adam);
    } else {
      WeightMerge.dense(all, ownPending.dense(), commonDense, params);
    }
  }

  private long mergeRows(int t, PeerDelta[] all) {
    RowBases from = bases[t];
    RowBases next = spare[t];
    int merged =
        WeightMerge.rows(
            model.tables().get(t),
            all,
            t,
            ownPending.tables()[t],
            learner,
            from,
            next,
            downstream[t]);
    bases[t] = next;
    spare[t] = from;
    return merged;
  }

  // ---- checkpointed state ----

  /** What a checkpoint holds besides the model: {@link PeerExchangeState}. */
  public PeerExchangeState state() {
    return PeerExchangeState.of(
            applied, ownApplied, ownPending, received, commonDense, bases, learner)
        .withPending(
            examples,
            steps,
            mergedExamples,
            gradients == null ? new double[0][] : gradients.stateArrays(),
            gradients == null ? 0 : gradients.commonSteps());
  }

  /** Restores what {@link #state()} returned, over a model restored from the same checkpoint. */
  public void restore(PeerExchangeState state) {
    applied = state.applied();
    ownApplied = state.ownApplied();
    ownPending = state.ownPending();
    received.clear();
    for (PeerDelta d : state.received()) {
      slot(d)[d.learner()] = d;
    }
    if (ownPending != null) {
      slot(ownPending)[learner] = ownPending;
    }
    state.restoreDense(commonDense);
    examples = state.examples();
    steps = state.steps();
    mergedExamples = state.mergedExamples();
    if (gradients != null) {
      gradients.restore(state.gradientState(), state.commonSteps());
    }
    for (int t = 0; t < bases.length; t++) {
      state.restoreBases(t, bases[t]);
    }
  }
}
