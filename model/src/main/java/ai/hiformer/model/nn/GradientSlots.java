package ai.hiformer.model.nn;

import java.util.Arrays;

/**
 * One training step's sparse gradients of an embedding table: the first touch of a row in a step
 * gives it the next compact slot of {@code dim} doubles, so the gradient memory follows the rows a
 * step touches, not the table. Row id → slot goes through an open-addressing map whose entries are
 * valid only while their stamp equals the current one, so clearing a step is one increment.
 *
 * <p>Each table holds the slots its learner's step writes ({@link EmbeddingTable#gradOffset}); a
 * training replica (data-parallel learning, {@code ai.hiformer.model.CtrModel#trainingReplica})
 * writes into slots of its own, which are then added into the table's in a fixed order.
 */
public final class GradientSlots {
  private final int dim;
  private double[] grad = new double[0];
  private int[] touched = new int[64];
  private int touchedCount;
  private int[] slotId = new int[128];
  private int[] slotStamp = new int[128];
  private int[] slotOf = new int[128];
  private int stamp = 1;

  public GradientSlots(int dim) {
    this.dim = dim;
  }

  /**
   * The offset of row {@code id}'s slot in {@link #grads()}, given (zeroed) at the row's first
   * touch in the step; {@link #touchedCount()} grows by one when it is.
   */
  public int offset(int id) {
    int mask = slotId.length - 1;
    int h = mixId(id) & mask;
    while (slotStamp[h] == stamp) {
      if (slotId[h] == id) {
        return slotOf[h] * dim;
      }
      h = (h + 1) & mask;
    }
    int slot = touchedCount++;
    if (slot == touched.length) {
      touched = Arrays.copyOf(touched, touched.length * 2);
    }
    touched[slot] = id;
    if ((slot + 1) * dim > grad.length) {
      grad = Arrays.copyOf(grad, Math.max((slot + 1) * dim, grad.length * 2));
    }
    Arrays.fill(grad, slot * dim, slot * dim + dim, 0.0);
    slotStamp[h] = stamp;
    slotId[h] = id;
    slotOf[h] = slot;
    if (touchedCount * 2 > slotId.length) {
      rehash(slotId.length * 2);
    }
    return slot * dim;
  }

  private static int mixId(int id) {
    int h = id * 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  private void rehash(int capacity) {
    slotId = new int[capacity];
    slotStamp = new int[capacity];
    slotOf = new int[capacity];
    int mask = capacity - 1;
    for (int s = 0; s < touchedCount; s++) {
      int h = mixId(touched[s]) & mask;
      while (slotStamp[h] == stamp) {
        h = (h + 1) & mask;
      }
      slotStamp[h] = stamp;
      slotId[h] = touched[s];
      slotOf[h] = s;
    }
  }

  /** The slots ({@code touchedCount · dim} doubles in use). */
  public double[] grads() {
    return grad;
  }

  /** Ids touched in this step, by slot (the first {@link #touchedCount()}). */
  public int[] touchedRows() {
    return touched;
  }

  public int touchedCount() {
    return touchedCount;
  }

  /** Ends the step: every slot is free again. */
  public void clear() {
    touchedCount = 0;
    stamp++;
    if (stamp == Integer.MAX_VALUE) {
      Arrays.fill(slotStamp, 0);
      stamp = 1;
    }
  }

  /** Drops the slots' memory (a table that is never trained). */
  void drop() {
    grad = new double[0];
  }

  /** Heap bytes of the gradient slots. */
  long bytes() {
    return 8L * grad.length;
  }
}
