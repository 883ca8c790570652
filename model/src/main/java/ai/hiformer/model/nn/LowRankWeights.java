package ai.hiformer.model.nn;

/**
 * The six matrices of a composite low-rank projection: {@code W_j ≈ U_j V_j} for j = q, k, v, with
 * U_j (T·d, r_j) and V_j (r_j, width_j). Shared by the projection's double, float-chain and
 * single-row paths.
 */
record LowRankWeights(Dense uq, Dense vq, Dense uk, Dense vk, Dense uv, Dense vv) {
  /** r_q + r_k + r_v. */
  int ranks() {
    return uq.out() + uk.out() + uv.out();
  }

  /** The widest of V_q, V_k, V_v's outputs. */
  int maxWidth() {
    return Math.max(vq.out(), Math.max(vk.out(), vv.out()));
  }
}
