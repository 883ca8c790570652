package ai.hiformer.model.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What one learner of K sends the others at an exchange ({@link PeerExchange}): its dense weights
 * (or, merging {@link PeerExchange.Merge#GRADIENTS gradients}, the sums of its steps' gradients)
 * and the embedding rows it moved since the last merged (common) state, as they stand when it
 * sends. Each receiver subtracts the common state it holds, which is the same in every learner, so
 * every learner computes the same deltas and the same merge.
 *
 * @param exchange the exchange number, from 1
 * @param learner the sender's index, {@code 0 .. K−1}
 * @param epoch the sender's epoch: which restore of the job it belongs to ({@link PeerExchange})
 * @param examples the examples the sender trained on since its previous delta
 * @param steps the optimiser steps it took on them
 * @param dense the dense weights, one array per parameter in the model's order; merging gradients,
 *     the steps' gradient sums since its previous delta in groups, and its offset ({@link
 *     StepGroups} has the layout)
 * @param tables the moved rows, one entry per embedding table in the model's order
 */
public record PeerDelta(
    long exchange,
    int learner,
    long epoch,
    long examples,
    int steps,
    double[][] dense,
    Rows[] tables) {

  /**
   * The rows of one table: {@code ids[i]}'s values (merging gradients: its gradient sums) at {@code
   * values[i·dim ..]} and its optimiser accumulators at {@code accumulators[i·dim ..]} (none when
   * merging gradients).
   *
   * @param wide whether the table holds double rows (sent as doubles; float32 rows travel as
   *     float32, exactly)
   */
  public record Rows(boolean wide, int dim, int[] ids, double[] values, double[] accumulators) {
    public int count() {
      return ids.length;
    }
  }

  // Format 3 adds the step count, and a gradient delta's dense arrays hold step groups
  // (StepGroups). Format 2 is still read: a weights delta is the same; a gradient delta of format 2
  // is refused when merged.
  private static final int FORMAT = 3;
  private static final int OLDEST_FORMAT = 2;

  /**
   * The sender's index in an encoded delta, read from its header alone.
   *
   * @throws IllegalArgumentException for bytes too short to hold a header
   */
  public static int senderOf(byte[] encoded) {
    if (encoded.length < 24) {
      throw new IllegalArgumentException(
          "a peer delta of " + encoded.length + " bytes has no header");
    }
    return ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
  }

  /**
   * The epoch in an encoded delta, read from its header alone.
   *
   * @throws IllegalArgumentException for bytes too short to hold a header
   */
  public static long epochOf(byte[] encoded) {
    senderOf(encoded);
    return ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN).getLong(16);
  }

  /** The rows moved over all tables. */
  public long rowCount() {
    long n = 0;
    for (Rows r : tables) {
      n += r.count();
    }
    return n;
  }

  /**
   * Little-endian bytes: format, exchange, learner, epoch, examples, steps, dense, then each
   * table's rows.
   */
  public byte[] encode() {
    long size = 4 + 8 + 4 + 8 + 8 + 4 + arraysBytes(dense) + 4;
    for (Rows r : tables) {
      size +=
          1
              + 4
              + 4
              + 1
              + 4L * r.count()
              + (r.values().length + r.accumulators().length) * (r.wide() ? 8L : 4L);
    }
    if (size > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("delta of " + size + " bytes is too large to send");
    }
    ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(FORMAT)
        .putLong(exchange)
        .putInt(learner)
        .putLong(epoch)
        .putLong(examples)
        .putInt(steps);
    putArrays(out, dense);
    out.putInt(tables.length);
    for (Rows r : tables) {
      out.put((byte) (r.wide() ? 1 : 0)).putInt(r.dim()).putInt(r.count());
      for (int id : r.ids()) {
        out.putInt(id);
      }
      putCells(out, r.values(), r.wide());
      out.put((byte) (r.accumulators().length > 0 ? 1 : 0));
      putCells(out, r.accumulators(), r.wide());
    }
    return out.array();
  }

  private static void putCells(ByteBuffer out, double[] cells, boolean wide) {
    for (double v : cells) {
      if (wide) {
        out.putDouble(v);
      } else {
        out.putFloat((float) v);
      }
    }
  }

  /**
   * Reads what {@link #encode()} wrote.
   *
   * @throws IllegalArgumentException on bytes of another format or a truncated delta
   */
  public static PeerDelta decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    try {
      int format = in.getInt();
      if (format != FORMAT && format != OLDEST_FORMAT) {
        throw new IllegalArgumentException(
            "peer delta of format "
                + format
                + "; this build reads formats "
                + OLDEST_FORMAT
                + " and "
                + FORMAT);
      }
      long exchange = in.getLong();
      int learner = in.getInt();
      long epoch = in.getLong();
      long examples = in.getLong();
      int steps = in.getInt();
      double[][] dense = getArrays(in);
      Rows[] tables = new Rows[in.getInt()];
      for (int t = 0; t < tables.length; t++) {
        boolean wide = in.get() != 0;
        int dim = in.getInt();
        int[] ids = new int[in.getInt()];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = in.getInt();
        }
        double[] values = getCells(in, ids.length * dim, wide);
        boolean withAccumulators = in.get() != 0;
        double[] accumulators = getCells(in, withAccumulators ? ids.length * dim : 0, wide);
        tables[t] = new Rows(wide, dim, ids, values, accumulators);
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(in.remaining() + " bytes after a peer delta");
      }
      return new PeerDelta(exchange, learner, epoch, examples, steps, dense, tables);
    } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
      throw new IllegalArgumentException("truncated peer delta of " + bytes.length + " bytes", e);
    }
  }

  /** Bytes {@link #putArrays} writes for {@code arrays}. */
  static long arraysBytes(double[][] arrays) {
    long size = 4;
    for (double[] a : arrays) {
      size += 4 + 8L * a.length;
    }
    return size;
  }

  /** {@code arrays} as a count, then each array's length and doubles. */
  static void putArrays(ByteBuffer out, double[][] arrays) {
    out.putInt(arrays.length);
    for (double[] a : arrays) {
      out.putInt(a.length);
      for (double v : a) {
        out.putDouble(v);
      }
    }
  }

  /** What {@link #putArrays} wrote. */
  static double[][] getArrays(ByteBuffer in) {
    double[][] arrays = new double[in.getInt()][];
    for (int p = 0; p < arrays.length; p++) {
      arrays[p] = new double[in.getInt()];
      for (int i = 0; i < arrays[p].length; i++) {
        arrays[p][i] = in.getDouble();
      }
    }
    return arrays;
  }

  private static double[] getCells(ByteBuffer in, int n, boolean wide) {
    double[] cells = new double[n];
    for (int i = 0; i < n; i++) {
      cells[i] = wide ? in.getDouble() : in.getFloat();
    }
    return cells;
  }
}
