package ai.hiformer.model.math;

/**
 * The arithmetic of a model's large matrix products, part of its configuration ({@code
 * model.precision}) and so recorded in its snapshots. Weights, activations, gradients and optimiser
 * state are double either way.
 */
public enum Precision {
  /**
   * Operands rounded to float and multiplied by OpenBLAS {@code sgemm}, the product added back in
   * double (the precision PyTorch trains in; about twice dgemm's rate). Batches of Hiformer's
   * composite projections keep a float chain, and one example is scored over float copies of the
   * weights.
   */
  FLOAT,
  /**
   * Every product exact to double rounding ({@code dgemm} or the Java kernels): the reference
   * arithmetic the golden and gradient-check tests pin.
   */
  DOUBLE;

  /**
   * The precision a configuration gets when it names none: {@code -Dhiformer.gemm=float|double},
   * default float.
   */
  public static Precision processDefault() {
    return NativeBlas.floatProducts() ? FLOAT : DOUBLE;
  }

  /** Whether products under this precision take the float paths (float, and OpenBLAS loaded). */
  public boolean floatProducts() {
    return this == FLOAT && NativeBlas.AVAILABLE;
  }

  /** The name in configuration text: {@code float} or {@code double}. */
  public String cliName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static Precision parse(String text) {
    return valueOf(text.trim().toUpperCase(java.util.Locale.ROOT));
  }
}
