package ai.hiformer.model.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a checkpoint keeps of a {@link PeerExchange} besides the model: the exchanges applied, this
 * learner's deltas a peer may still need, the peers' deltas held for exchanges not yet complete,
 * the dense common weights, and each table's moved rows with their common values.
 *
 * @param baseIds per table, the moved rows
 * @param baseCells per table, per moved row: its common values, then its common accumulators
 * @param examples the examples this learner trained on since its last send
 * @param steps the optimiser steps it took on them
 * @param mergedExamples the examples of all learners the exchanges applied merged
 * @param gradientState merging gradients, {@link GradientMerge}'s arrays (none: merging weights)
 * @param commonSteps merging gradients, the common Adam's step count
 */
public record PeerExchangeState(
    long applied,
    PeerDelta ownApplied,
    PeerDelta ownPending,
    List<PeerDelta> received,
    double[][] commonDense,
    int[] dims,
    int[][] baseIds,
    double[][] baseCells,
    long examples,
    int steps,
    long mergedExamples,
    double[][] gradientState,
    long commonSteps) {

  // Format 3 adds the step and merged-example counts, and a gradient merge's state keeps its step
  // groups (GradientMerge#stateArrays). Format 2 is still read; a gradient merge's state of format
  // 2
  // is refused when restored, naming the arrays it lacks.
  private static final int FORMAT = 3;
  private static final int OLDEST_FORMAT = 2;

  static PeerExchangeState of(
      long applied,
      PeerDelta ownApplied,
      PeerDelta ownPending,
      Map<Long, PeerDelta[]> received,
      double[][] commonDense,
      RowBases[] bases,
      int self) {
    List<PeerDelta> held = new ArrayList<>();
    for (PeerDelta[] byLearner : received.values()) {
      for (int k = 0; k < byLearner.length; k++) {
        if (k != self && byLearner[k] != null) {
          held.add(byLearner[k]);
        }
      }
    }
    double[][] dense = new double[commonDense.length][];
    for (int p = 0; p < dense.length; p++) {
      dense[p] = commonDense[p].clone();
    }
    int[] dims = new int[bases.length];
    int[][] ids = new int[bases.length][];
    double[][] cells = new double[bases.length][];
    for (int t = 0; t < bases.length; t++) {
      RowBases b = bases[t];
      int dim = b.dim();
      dims[t] = dim;
      ids[t] = new int[b.size()];
      cells[t] = new double[b.size() * 2 * dim];
      for (int s = 0; s < b.size(); s++) {
        ids[t][s] = b.idAt(s);
        for (int j = 0; j < dim; j++) {
          cells[t][s * 2 * dim + j] = b.value(s, j);
          cells[t][s * 2 * dim + dim + j] = b.accumulator(s, j);
        }
      }
    }
    return new PeerExchangeState(
        applied,
        ownApplied,
        ownPending,
        List.copyOf(held),
        dense,
        dims,
        ids,
        cells,
        0,
        0,
        0,
        null,
        0);
  }

  /** This state with the learner's pending examples and its gradient merge's state. */
  PeerExchangeState withPending(
      long examples, int steps, long mergedExamples, double[][] gradientState, long commonSteps) {
    return new PeerExchangeState(
        applied,
        ownApplied,
        ownPending,
        received,
        commonDense,
        dims,
        baseIds,
        baseCells,
        examples,
        steps,
        mergedExamples,
        gradientState,
        commonSteps);
  }

  void restoreDense(double[][] into) {
    if (into.length != commonDense.length) {
      throw new IllegalArgumentException(
          "saved exchange state has "
              + commonDense.length
              + " dense parameters; the model has "
              + into.length);
    }
    for (int p = 0; p < into.length; p++) {
      System.arraycopy(commonDense[p], 0, into[p], 0, into[p].length);
    }
  }

  void restoreBases(int t, RowBases into) {
    into.clear();
    int dim = dims[t];
    for (int s = 0; s < baseIds[t].length; s++) {
      int slot = into.add(baseIds[t][s]);
      for (int j = 0; j < dim; j++) {
        into.set(slot, j, baseCells[t][s * 2 * dim + j], baseCells[t][s * 2 * dim + dim + j]);
      }
    }
  }

  /** Little-endian bytes; deltas as {@link PeerDelta#encode()} writes them, length-prefixed. */
  public byte[] encode() {
    List<byte[]> deltas = new ArrayList<>();
    deltas.add(ownApplied == null ? new byte[0] : ownApplied.encode());
    deltas.add(ownPending == null ? new byte[0] : ownPending.encode());
    for (PeerDelta d : received) {
      deltas.add(d.encode());
    }
    long size = 4 + 8 + 4;
    for (byte[] d : deltas) {
      size += 4 + d.length;
    }
    size += PeerDelta.arraysBytes(commonDense) + 4;
    size += 8 + 4 + 8 + PeerDelta.arraysBytes(gradientState) + 8;
    for (int t = 0; t < dims.length; t++) {
      size += 4 + 4 + 4L * baseIds[t].length + 8L * baseCells[t].length;
    }
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(FORMAT).putLong(applied).putInt(deltas.size());
    for (byte[] d : deltas) {
      out.putInt(d.length).put(d);
    }
    PeerDelta.putArrays(out, commonDense);
    out.putLong(examples).putInt(steps).putLong(mergedExamples);
    PeerDelta.putArrays(out, gradientState);
    out.putLong(commonSteps);
    out.putInt(dims.length);
    for (int t = 0; t < dims.length; t++) {
      out.putInt(dims[t]).putInt(baseIds[t].length);
      for (int id : baseIds[t]) {
        out.putInt(id);
      }
      for (double v : baseCells[t]) {
        out.putDouble(v);
      }
    }
    return out.array();
  }

  /** Reads what {@link #encode()} wrote. */
  public static PeerExchangeState decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      int format = in.getInt();
      if (format != FORMAT && format != OLDEST_FORMAT) {
        throw new IllegalArgumentException(
            "exchange state of format "
                + format
                + "; this build reads formats "
                + OLDEST_FORMAT
                + " and "
                + FORMAT);
      }
      long applied = in.getLong();
      int n = in.getInt();
      PeerDelta[] deltas = new PeerDelta[n];
      for (int i = 0; i < n; i++) {
        byte[] d = new byte[in.getInt()];
        in.get(d);
        deltas[i] = d.length == 0 ? null : PeerDelta.decode(d);
      }
      double[][] dense = PeerDelta.getArrays(in);
      long examples = in.getLong();
      int steps = in.getInt();
      long mergedExamples = in.getLong();
      double[][] gradientState = PeerDelta.getArrays(in);
      long commonSteps = in.getLong();
      int tables = in.getInt();
      int[] dims = new int[tables];
      int[][] ids = new int[tables][];
      double[][] cells = new double[tables][];
      for (int t = 0; t < tables; t++) {
        dims[t] = in.getInt();
        ids[t] = new int[in.getInt()];
        for (int s = 0; s < ids[t].length; s++) {
          ids[t][s] = in.getInt();
        }
        cells[t] = new double[ids[t].length * 2 * dims[t]];
        for (int i = 0; i < cells[t].length; i++) {
          cells[t][i] = in.getDouble();
        }
      }
      List<PeerDelta> received = new ArrayList<>();
      for (int i = 2; i < n; i++) {
        received.add(deltas[i]);
      }
      return new PeerExchangeState(
          applied,
          deltas[0],
          deltas[1],
          List.copyOf(received),
          dense,
          dims,
          ids,
          cells,
          examples,
          steps,
          mergedExamples,
          gradientState,
          commonSteps);
    } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
      throw new IllegalArgumentException(
          "truncated exchange state of " + bytes.length + " bytes", e);
    }
  }
}
