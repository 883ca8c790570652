package ai.hiformer.model;

import ai.hiformer.model.math.Activation;
import ai.hiformer.model.nn.Mlp;
import ai.hiformer.model.nn.ParamStore;
import java.util.SplittableRandom;

/**
 * One small MLP per task, d → hidden → 1 (ReLU), reading that task's token (docs/PROTOCOL.md §2.2).
 */
final class TaskHeads {
  private final Mlp[] heads;
  private final int d;

  TaskHeads(ParamStore store, int tasks, int d, int hidden) {
    this.d = d;
    heads = new Mlp[tasks];
    for (int k = 0; k < tasks; k++) {
      heads[k] = new Mlp(store, "head" + k, d, new int[] {hidden}, 1, Activation.RELU);
    }
  }

  void init(SplittableRandom rng) {
    for (Mlp h : heads) {
      h.initXavier(rng);
    }
  }

  /** Adds delta[k] to the output bias of head k. */
  void shiftLogits(double[] delta) {
    for (int k = 0; k < heads.length; k++) {
      heads[k].layer(heads[k].depth() - 1).bias().value()[0] += delta[k];
    }
  }

  Mlp head(int k) {
    return heads[k];
  }

  /** y (n, Tq, d) whose last {@code tasks} tokens are the task tokens → logits (n, tasks). */
  void forward(int n, double[] y, int tq, double[] logits) {
    int tasks = heads.length;
    for (int k = 0; k < tasks; k++) {
      int tok = tq - tasks + k;
      heads[k].forward(n, y, tok * d, tq * d, logits, k, tasks);
    }
  }

  /** dLogits (n, tasks) → dy (n, Tq, d), whose task-token rows are accumulated into. */
  void backward(int n, double[] y, int tq, double[] dLogits, double[] dy) {
    int tasks = heads.length;
    for (int k = 0; k < tasks; k++) {
      int tok = tq - tasks + k;
      heads[k].backward(n, y, tok * d, tq * d, dLogits, k, tasks, dy, tok * d, tq * d);
    }
  }

  long macs() {
    long m = 0;
    for (Mlp h : heads) {
      for (int i = 0; i < h.depth(); i++) {
        m += (long) h.layer(i).in() * h.layer(i).out();
      }
    }
    return m;
  }
}
