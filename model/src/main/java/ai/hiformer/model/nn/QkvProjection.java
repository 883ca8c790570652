package ai.hiformer.model.nn;

import java.util.SplittableRandom;

/**
 * How an {@link AttentionLayer} projects its tokens to queries, keys and values. Shapes: x (n, T,
 * d) → q (n, Tq, H·dk) for the last Tq tokens, k (n, T, H·dk), v (n, T, H·dv). Implementations keep
 * what their backward pass needs from the last forward; not thread-safe.
 */
interface QkvProjection {
  /** Xavier-uniform for every matrix, in the order the matrices were created. */
  void init(SplittableRandom rng);

  /** Writes q, k and v for the n examples of x. */
  void forward(int n, double[] x, double[] q, double[] k, double[] v);

  /**
   * Backward of the last forward: accumulates the parameter gradients and adds the gradient with
   * respect to x into dx (n, T, d). dq, dk and dv are not modified.
   */
  void backward(int n, double[] x, double[] dq, double[] dk, double[] dv, double[] dx);
}
