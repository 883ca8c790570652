package ai.hiformer.model.nn;

import ai.hiformer.model.math.Activation;
import java.util.SplittableRandom;

/**
 * A multi-layer perceptron {@code in → hidden[0] → … → out} with an activation after every hidden
 * layer and none after the last. Owns its activation buffers (sized for the largest row count
 * seen).
 */
public final class Mlp {
  private final Dense[] layers;
  private final Activation activation;
  private final double[][] pre; // pre-activations of hidden layers
  private final double[][] post; // their activations (inputs of the next layer)
  private final double[][] gradBuf; // gradients w.r.t. the hidden activations

  public Mlp(ParamStore store, String name, int in, int[] hidden, int out, Activation activation) {
    this.activation = activation;
    layers = new Dense[hidden.length + 1];
    int prev = in;
    for (int i = 0; i < hidden.length; i++) {
      layers[i] = new Dense(store, name + "." + i, 1, prev, hidden[i], true);
      prev = hidden[i];
    }
    layers[hidden.length] = new Dense(store, name + "." + hidden.length, 1, prev, out, true);
    pre = new double[hidden.length][];
    post = new double[hidden.length][];
    gradBuf = new double[hidden.length][];
  }

  public Dense layer(int i) {
    return layers[i];
  }

  public int depth() {
    return layers.length;
  }

  public void initXavier(SplittableRandom rng) {
    for (Dense l : layers) {
      l.initXavier(rng);
    }
  }

  /** x (n, in) at stride ldx → y (n, out) at stride ldy. */
  public void forward(int n, double[] x, int xOff, int ldx, double[] y, int yOff, int ldy) {
    double[] cur = x;
    int curOff = xOff;
    int curLd = ldx;
    for (int i = 0; i < layers.length - 1; i++) {
      int w = layers[i].out();
      pre[i] = Buffers.ensure(pre[i], n * w);
      post[i] = Buffers.ensure(post[i], n * w);
      layers[i].forward(0, n, cur, curOff, curLd, pre[i], 0, w);
      activation.forward(pre[i], 0, post[i], 0, n * w);
      cur = post[i];
      curOff = 0;
      curLd = w;
    }
    layers[layers.length - 1].forward(0, n, cur, curOff, curLd, y, yOff, ldy);
  }

  /**
   * Backward of the last {@link #forward}: dy (n, out) → accumulates parameter gradients and, when
   * dx is not null, adds the input gradient into dx (n, in). dy is not modified.
   */
  public void backward(
      int n,
      double[] x,
      int xOff,
      int ldx,
      double[] dy,
      int dyOff,
      int ldy,
      double[] dx,
      int dxOff,
      int lddx) {
    double[] g = dy;
    int gOff = dyOff;
    int gLd = ldy;
    for (int i = layers.length - 1; i >= 0; i--) {
      double[] in = i == 0 ? x : post[i - 1];
      int inOff = i == 0 ? xOff : 0;
      int inLd = i == 0 ? ldx : layers[i].in();
      if (i == 0) {
        layers[0].backward(0, n, in, inOff, inLd, g, gOff, gLd, dx, dxOff, lddx);
      } else {
        int w = layers[i].in();
        gradBuf[i - 1] = Buffers.ensure(gradBuf[i - 1], n * w);
        java.util.Arrays.fill(gradBuf[i - 1], 0, n * w, 0.0);
        layers[i].backward(0, n, in, inOff, inLd, g, gOff, gLd, gradBuf[i - 1], 0, w);
        activation.backwardInPlace(pre[i - 1], 0, gradBuf[i - 1], 0, n * w);
        g = gradBuf[i - 1];
        gOff = 0;
        gLd = w;
      }
    }
  }
}
