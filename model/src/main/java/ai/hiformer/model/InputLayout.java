package ai.hiformer.model;

/**
 * What one prepared example holds: {@code nCat} categorical fields, {@code nMulti} multi-valued
 * fields of at most {@code maxMulti} values each, and {@code nNum} numeric fields.
 */
public record InputLayout(int nCat, int nMulti, int maxMulti, int nNum) {
  public InputLayout {
    if (nCat < 0 || nMulti < 0 || nNum < 0) {
      throw new IllegalArgumentException(
          String.format(
              "field counts must be >= 0: nCat=%d nMulti=%d nNum=%d", nCat, nMulti, nNum));
    }
    if (nMulti > 0 && maxMulti <= 0) {
      throw new IllegalArgumentException(
          "maxMulti must be positive when there are multi-valued fields, got " + maxMulti);
    }
    if (nCat + nMulti + nNum == 0) {
      throw new IllegalArgumentException("an example needs at least one field");
    }
  }

  public Batch newBatch(int capacity, int tasks) {
    return new Batch(capacity, nCat, nMulti, maxMulti, nNum, tasks);
  }
}
