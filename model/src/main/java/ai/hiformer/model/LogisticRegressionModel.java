package ai.hiformer.model;

import ai.hiformer.model.nn.Buffers;
import ai.hiformer.model.nn.Param;
import java.util.SplittableRandom;

/**
 * Logistic regression with the same token rules as the deep models at width d = tasks (one weight
 * per task per feature value): {@code logit_k = b_k + Σ_tokens e[k]}. Everything starts at zero
 * (docs/PROTOCOL.md §2.1).
 */
public final class LogisticRegressionModel extends TokenModel {
  private final Param bias;
  private final int t;
  private final int l;
  private double[] x;
  private double[] dx;

  public LogisticRegressionModel(ModelConfig config, InputLayout layout) {
    super(config, layout, config.tasks(), 0.0);
    t = config.tasks();
    l = tokens.tokens();
    bias = store.create("bias", t);
    tokens.init(new SplittableRandom(config.seed()), 0.0);
  }

  @Override
  public void forward(Batch batch, double[] logits) {
    int n = batch.size();
    x = Buffers.ensure(x, n * l * t);
    tokens.forward(batch, x, l);
    double[] b0 = bias.value();
    for (int b = 0; b < n; b++) {
      for (int k = 0; k < t; k++) {
        double s = b0[k];
        for (int j = 0; j < l; j++) {
          s += x[(b * l + j) * t + k];
        }
        logits[b * t + k] = s;
      }
    }
  }

  @Override
  public void backward(Batch batch, double[] dLogits) {
    int n = batch.size();
    dx = Buffers.ensure(dx, n * l * t);
    double[] db = bias.grad();
    for (int b = 0; b < n; b++) {
      for (int k = 0; k < t; k++) {
        double g = dLogits[b * t + k];
        db[k] += g;
        for (int j = 0; j < l; j++) {
          dx[(b * l + j) * t + k] = g;
        }
      }
    }
    tokens.backward(batch, dx, l);
  }

  @Override
  public void shiftLogits(double[] delta) {
    addTo(bias, delta);
  }

  @Override
  public long macsPerExample() {
    return (long) l * t;
  }
}
