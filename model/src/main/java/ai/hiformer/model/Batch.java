package ai.hiformer.model;

import java.util.Arrays;

/**
 * A reusable micro-batch of prepared examples, filled by the feature layer and read by the models.
 *
 * <p>Layout (B = {@link #size()} ≤ capacity):
 *
 * <ul>
 *   <li>{@code cat} (B, nCat): row ids into each categorical field's table (0 = OOV);
 *   <li>{@code multi} (B, nMulti, maxMulti): row ids of each multi-valued field, 0-padded;
 *   <li>{@code num}, {@code miss} (B, nNum): normalised numeric value t and missing flag m ∈ {0,1};
 *   <li>{@code label}, {@code labelMask} (B, tasks): label y ∈ {0,1} and 1 where the task has a
 *       label.
 * </ul>
 */
public final class Batch {
  public final int capacity;
  public final int nCat;
  public final int nMulti;
  public final int maxMulti;
  public final int nNum;
  public final int tasks;
  public final int[] cat;
  public final int[] multi;
  public final double[] num;
  public final double[] miss;
  public final double[] label;
  public final double[] labelMask;
  private int size;

  public Batch(int capacity, int nCat, int nMulti, int maxMulti, int nNum, int tasks) {
    if (capacity <= 0
        || tasks <= 0
        || nCat < 0
        || nMulti < 0
        || nNum < 0
        || (nMulti > 0 && maxMulti <= 0)) {
      throw new IllegalArgumentException(
          String.format(
              "invalid batch layout capacity=%d nCat=%d nMulti=%d maxMulti=%d nNum=%d tasks=%d",
              capacity, nCat, nMulti, maxMulti, nNum, tasks));
    }
    this.capacity = capacity;
    this.nCat = nCat;
    this.nMulti = nMulti;
    this.maxMulti = Math.max(maxMulti, 0);
    this.nNum = nNum;
    this.tasks = tasks;
    cat = new int[capacity * nCat];
    multi = new int[capacity * nMulti * this.maxMulti];
    num = new double[capacity * nNum];
    miss = new double[capacity * nNum];
    label = new double[capacity * tasks];
    labelMask = new double[capacity * tasks];
  }

  public int size() {
    return size;
  }

  /** Sets the number of valid rows; rows beyond it keep stale data and are ignored. */
  public void setSize(int size) {
    if (size < 0 || size > capacity) {
      throw new IllegalArgumentException("batch size " + size + " outside [0, " + capacity + "]");
    }
    this.size = size;
  }

  /** Zeroes row {@code b} (ids, values, labels) so it can be filled field by field. */
  public void clearRow(int b) {
    Arrays.fill(cat, b * nCat, (b + 1) * nCat, 0);
    int mm = nMulti * maxMulti;
    Arrays.fill(multi, b * mm, (b + 1) * mm, 0);
    Arrays.fill(num, b * nNum, (b + 1) * nNum, 0.0);
    Arrays.fill(miss, b * nNum, (b + 1) * nNum, 0.0);
    Arrays.fill(label, b * tasks, (b + 1) * tasks, 0.0);
    Arrays.fill(labelMask, b * tasks, (b + 1) * tasks, 0.0);
  }

  /** Copies row {@code from} of {@code src} (same layout) into row {@code to} of this batch. */
  public void copyRow(Batch src, int from, int to) {
    System.arraycopy(src.cat, from * nCat, cat, to * nCat, nCat);
    int mm = nMulti * maxMulti;
    System.arraycopy(src.multi, from * mm, multi, to * mm, mm);
    System.arraycopy(src.num, from * nNum, num, to * nNum, nNum);
    System.arraycopy(src.miss, from * nNum, miss, to * nNum, nNum);
    System.arraycopy(src.label, from * tasks, label, to * tasks, tasks);
    System.arraycopy(src.labelMask, from * tasks, labelMask, to * tasks, tasks);
  }

  /**
   * Writes row {@code b} (ids, numeric values and flags, labels and masks) in a fixed big-endian
   * layout: nCat ints, nMulti·maxMulti ints, nNum × (value, missing) doubles, tasks × (label, mask)
   * doubles.
   */
  public void writeRow(java.io.DataOutput out, int b) throws java.io.IOException {
    for (int i = 0; i < nCat; i++) {
      out.writeInt(cat[b * nCat + i]);
    }
    int mm = nMulti * maxMulti;
    for (int i = 0; i < mm; i++) {
      out.writeInt(multi[b * mm + i]);
    }
    for (int i = 0; i < nNum; i++) {
      out.writeDouble(num[b * nNum + i]);
      out.writeDouble(miss[b * nNum + i]);
    }
    for (int i = 0; i < tasks; i++) {
      out.writeDouble(label[b * tasks + i]);
      out.writeDouble(labelMask[b * tasks + i]);
    }
  }

  /** Reads row {@code b} as {@link #writeRow} wrote it. */
  public void readRow(java.io.DataInput in, int b) throws java.io.IOException {
    for (int i = 0; i < nCat; i++) {
      cat[b * nCat + i] = in.readInt();
    }
    int mm = nMulti * maxMulti;
    for (int i = 0; i < mm; i++) {
      multi[b * mm + i] = in.readInt();
    }
    for (int i = 0; i < nNum; i++) {
      num[b * nNum + i] = in.readDouble();
      miss[b * nNum + i] = in.readDouble();
    }
    for (int i = 0; i < tasks; i++) {
      label[b * tasks + i] = in.readDouble();
      labelMask[b * tasks + i] = in.readDouble();
    }
  }
}
