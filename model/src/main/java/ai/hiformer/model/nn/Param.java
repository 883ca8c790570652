package ai.hiformer.model.nn;

import java.util.Arrays;

/**
 * One dense parameter tensor: its values, its gradient accumulator (same length) and its shape.
 * Row-major; a (in, out) weight maps a row vector x to {@code x · W}.
 */
public final class Param {
  private final String name;
  private final int[] shape;
  private double[] value; // replaced only by shareValuesOf, when a read-only replica is built
  private final double[] grad;

  public Param(String name, int... shape) {
    this.name = name;
    this.shape = shape.clone();
    int size = 1;
    for (int s : shape) {
      if (s <= 0) {
        throw new IllegalArgumentException(
            "parameter " + name + " has a non-positive dimension: " + Arrays.toString(shape));
      }
      size = Math.multiplyExact(size, s);
    }
    this.value = new double[size];
    this.grad = new double[size];
  }

  public String name() {
    return name;
  }

  public int[] shape() {
    return shape.clone();
  }

  public int size() {
    return value.length;
  }

  /** The live values (modified by optimisers). */
  public double[] value() {
    return value;
  }

  /** The live gradient accumulator (backward passes add to it). */
  public double[] grad() {
    return grad;
  }

  /**
   * Makes this parameter read {@code source}'s values (same name and shape): how a read-only
   * replica of a model shares its weights. The replica must not be trained.
   */
  public void shareValuesOf(Param source) {
    if (!Arrays.equals(shape, source.shape)) {
      throw new IllegalArgumentException(
          "parameter "
              + name
              + " has shape "
              + Arrays.toString(shape)
              + ", "
              + source.name
              + " "
              + Arrays.toString(source.shape));
    }
    value = source.value;
  }

  public void zeroGrad() {
    Arrays.fill(grad, 0.0);
  }
}
