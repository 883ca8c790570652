package ai.hiformer.model;

import ai.hiformer.model.math.Activation;
import ai.hiformer.model.nn.Buffers;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.GradientSlots;
import ai.hiformer.model.nn.Init;
import ai.hiformer.model.nn.Mlp;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.nn.ParamStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Turns a {@link Batch} into feature tokens (docs/PROTOCOL.md §2.1, docs/ARCHITECTURE.md §3): one
 * token per categorical field (its table row), one per multi-valued field (the mean of its non-zero
 * rows, zero if none), then the numeric tokens, either one per field {@code e_f = t·w_f + m·u_f}
 * or, with {@code denseTokens = n > 0}, the paper's MLP f_D over {@code [t; m]} split into n
 * tokens.
 *
 * <p>Output layout: x (B, T, d) where T ≥ {@link #tokens()}; this class writes tokens 0..L-1 of
 * each example and leaves the rest (e.g. task tokens) to the caller.
 */
public final class TokenEmbedding {
  private final InputLayout layout;
  private final int d;
  private List<EmbeddingTable> tables; // replaced only by shareTablesOf (a replica)
  // A training replica's sparse gradients, one per table; null: the tables' own slots.
  private GradientSlots[] ownGradients;
  private final Param numW; // (nNum, d), per-field numeric tokens
  private final Param numMiss; // (nNum, d)
  private final Mlp denseMlp; // f_D, when denseTokens > 0
  private final int denseTokens;
  private final int numericTokens;
  private double[] denseIn;
  private double[] denseOut;
  private double[] denseGrad;

  public TokenEmbedding(
      ParamStore store,
      InputLayout layout,
      int d,
      int denseTokens,
      int denseHidden,
      double initStd,
      long seed) {
    this.layout = layout;
    this.d = d;
    this.denseTokens = denseTokens;
    List<EmbeddingTable> t = new ArrayList<>();
    // Rows are float32 (the production path); a model configured for exact double math keeps double
    // rows.
    for (int f = 0; f < layout.nCat() + layout.nMulti(); f++) {
      t.add(
          new EmbeddingTable(
              "emb" + f,
              d,
              initStd,
              seed,
              64,
              store.precision() == ai.hiformer.model.math.Precision.DOUBLE));
    }
    tables = Collections.unmodifiableList(t);
    if (layout.nNum() == 0) {
      numW = null;
      numMiss = null;
      denseMlp = null;
      numericTokens = 0;
    } else if (denseTokens == 0) {
      numW = store.create("tok.num_w", layout.nNum(), d);
      numMiss = store.create("tok.num_miss", layout.nNum(), d);
      denseMlp = null;
      numericTokens = layout.nNum();
    } else {
      numW = null;
      numMiss = null;
      denseMlp =
          new Mlp(
              store,
              "tok.dense_mlp",
              2 * layout.nNum(),
              new int[] {denseHidden},
              denseTokens * d,
              Activation.RELU);
      numericTokens = denseTokens;
    }
  }

  /** L: the number of feature tokens written per example. */
  public int tokens() {
    return layout.nCat() + layout.nMulti() + numericTokens;
  }

  public int d() {
    return d;
  }

  /** Makes this embedding read {@code source}'s tables (a read-only replica shares its rows). */
  public void shareTablesOf(TokenEmbedding source) {
    if (source.tables.size() != tables.size()) {
      throw new IllegalArgumentException(
          "a replica needs " + tables.size() + " tables, the source has " + source.tables.size());
    }
    tables = source.tables;
  }

  public List<EmbeddingTable> tables() {
    return tables;
  }

  /**
   * Makes backward write the row gradients into slots of this embedding's own rather than the
   * tables' (a training replica, whose tables are shared with the learner's model).
   */
  public void keepOwnGradients() {
    ownGradients = new GradientSlots[tables.size()];
    for (int t = 0; t < ownGradients.length; t++) {
      ownGradients[t] = new GradientSlots(d);
    }
  }

  /** Table {@code t}'s row gradients of the last backward, after {@link #keepOwnGradients()}. */
  public GradientSlots ownGradients(int t) {
    if (ownGradients == null) {
      throw new IllegalStateException("this embedding writes its gradients into its tables");
    }
    return ownGradients[t];
  }

  /** Row {@code id}'s gradient offset in table {@code t}'s slots; -1 for row 0. */
  private int gradOffset(int t, EmbeddingTable table, int id) {
    if (ownGradients == null) {
      return table.gradOffset(id);
    }
    return id == 0 ? -1 : ownGradients[t].offset(id);
  }

  private double[] grads(int t, EmbeddingTable table) {
    return ownGradients == null ? table.grads() : ownGradients[t].grads();
  }

  /** Initialises the dense parts: numeric tokens ~ N(0, std²) (zero for LR), f_D Xavier. */
  public void init(SplittableRandom rng, double std) {
    if (numW != null) {
      Init.normal(numW, std, rng);
      Init.normal(numMiss, std, rng);
    }
    if (denseMlp != null) {
      denseMlp.initXavier(rng);
    }
  }

  /** Fills tokens 0..L-1 of x (B, T, d). */
  public void forward(Batch batch, double[] x, int tokensPerExample) {
    int n = batch.size();
    int nCat = layout.nCat();
    int nMulti = layout.nMulti();
    int maxMulti = batch.maxMulti;
    int stride = tokensPerExample * d;
    for (int b = 0; b < n; b++) {
      int xo = b * stride;
      for (int f = 0; f < nCat; f++) {
        EmbeddingTable table = tables.get(f);
        int id = batch.cat[b * nCat + f];
        table.ensureRow(id);
        table.readRow(id, x, xo + f * d);
      }
      for (int f = 0; f < nMulti; f++) {
        EmbeddingTable table = tables.get(nCat + f);
        int to = xo + (nCat + f) * d;
        Arrays.fill(x, to, to + d, 0.0);
        int base = (b * nMulti + f) * maxMulti;
        int count = 0;
        for (int k = 0; k < maxMulti; k++) {
          int id = batch.multi[base + k];
          if (id == 0) {
            continue;
          }
          table.ensureRow(id);
          table.addRowTo(id, x, to);
          count++;
        }
        if (count > 1) {
          double inv = 1.0 / count;
          for (int j = 0; j < d; j++) {
            x[to + j] *= inv;
          }
        }
      }
    }
    forwardNumeric(batch, x, stride, (nCat + nMulti) * d);
  }

  private void forwardNumeric(Batch batch, double[] x, int stride, int firstOff) {
    int n = batch.size();
    int nNum = layout.nNum();
    if (numericTokens == 0) {
      return;
    }
    if (denseMlp == null) {
      double[] w = numW.value();
      double[] u = numMiss.value();
      for (int b = 0; b < n; b++) {
        for (int f = 0; f < nNum; f++) {
          double t = batch.num[b * nNum + f];
          double m = batch.miss[b * nNum + f];
          int to = b * stride + firstOff + f * d;
          for (int j = 0; j < d; j++) {
            x[to + j] = t * w[f * d + j] + m * u[f * d + j];
          }
        }
      }
      return;
    }
    denseIn = Buffers.ensure(denseIn, n * 2 * nNum);
    denseOut = Buffers.ensure(denseOut, n * denseTokens * d);
    for (int b = 0; b < n; b++) {
      System.arraycopy(batch.num, b * nNum, denseIn, b * 2 * nNum, nNum);
      System.arraycopy(batch.miss, b * nNum, denseIn, b * 2 * nNum + nNum, nNum);
    }
    // (B, 2·nNum) → (B, n_D·d), then split into n_D tokens
    denseMlp.forward(n, denseIn, 0, 2 * nNum, denseOut, 0, denseTokens * d);
    for (int b = 0; b < n; b++) {
      System.arraycopy(denseOut, b * denseTokens * d, x, b * stride + firstOff, denseTokens * d);
    }
  }

  /**
   * Scatters dx (B, T, d), tokens 0..L-1, into sparse row gradients and dense parameter gradients.
   */
  public void backward(Batch batch, double[] dx, int tokensPerExample) {
    int n = batch.size();
    int nCat = layout.nCat();
    int nMulti = layout.nMulti();
    int maxMulti = batch.maxMulti;
    int stride = tokensPerExample * d;
    for (int b = 0; b < n; b++) {
      int xo = b * stride;
      for (int f = 0; f < nCat; f++) {
        EmbeddingTable table = tables.get(f);
        int go = gradOffset(f, table, batch.cat[b * nCat + f]);
        if (go < 0) {
          continue;
        }
        double[] g = grads(f, table);
        int from = xo + f * d;
        for (int j = 0; j < d; j++) {
          g[go + j] += dx[from + j];
        }
      }
      for (int f = 0; f < nMulti; f++) {
        EmbeddingTable table = tables.get(nCat + f);
        int base = (b * nMulti + f) * maxMulti;
        int count = 0;
        for (int k = 0; k < maxMulti; k++) {
          if (batch.multi[base + k] != 0) {
            count++;
          }
        }
        if (count == 0) {
          continue;
        }
        double inv = 1.0 / count;
        int from = xo + (nCat + f) * d;
        for (int k = 0; k < maxMulti; k++) {
          int go = gradOffset(nCat + f, table, batch.multi[base + k]);
          if (go < 0) {
            continue;
          }
          double[] g = grads(nCat + f, table);
          for (int j = 0; j < d; j++) {
            g[go + j] += dx[from + j] * inv;
          }
        }
      }
    }
    backwardNumeric(batch, dx, stride, (nCat + nMulti) * d);
  }

  private void backwardNumeric(Batch batch, double[] dx, int stride, int firstOff) {
    int n = batch.size();
    int nNum = layout.nNum();
    if (numericTokens == 0) {
      return;
    }
    if (denseMlp == null) {
      double[] gw = numW.grad();
      double[] gu = numMiss.grad();
      for (int b = 0; b < n; b++) {
        for (int f = 0; f < nNum; f++) {
          double t = batch.num[b * nNum + f];
          double m = batch.miss[b * nNum + f];
          int from = b * stride + firstOff + f * d;
          for (int j = 0; j < d; j++) {
            gw[f * d + j] += t * dx[from + j];
            gu[f * d + j] += m * dx[from + j];
          }
        }
      }
      return;
    }
    denseGrad = Buffers.ensure(denseGrad, n * denseTokens * d);
    for (int b = 0; b < n; b++) {
      System.arraycopy(dx, b * stride + firstOff, denseGrad, b * denseTokens * d, denseTokens * d);
    }
    denseMlp.backward(n, denseIn, 0, 2 * nNum, denseGrad, 0, denseTokens * d, null, 0, 0);
  }
}
