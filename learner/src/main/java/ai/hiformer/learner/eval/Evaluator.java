package ai.hiformer.learner.eval;

import ai.hiformer.features.EncodedDataset;
import ai.hiformer.learner.Metrics;
import ai.hiformer.learner.MicroBatch;
import ai.hiformer.model.Batch;
import ai.hiformer.model.BlendModel;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.Loss;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.Models;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs the evaluation protocol (docs/PROTOCOL.md §3) on a prepared dataset.
 *
 * <ul>
 *   <li>ONLINE: progressive validation; batches in stream order, each predicted with the current
 *       weights, then trained on (one step, the same forward pass).
 *   <li>OFFLINE: train [0, 70 %), early-stop on [70 %, 80 %) with patience 1 (≤ 5 epochs, shuffled
 *       by torch.randperm's generator seeded 1000 + seed, {@link TorchRandperm}), test on [80 %,
 *       100 %); ids absent from the training rows become 0.
 * </ul>
 *
 * Only the first task is scored by the protocol's metrics; every task is trained.
 */
public final class Evaluator {
  private final EncodedDataset data;
  private final OptimizerConfig optimizer;
  private final int batchSize;
  private final int curvePoints;
  private final Consumer<String> progress;
  private final int threads;

  public Evaluator(
      EncodedDataset data,
      OptimizerConfig optimizer,
      int batchSize,
      int curvePoints,
      Consumer<String> progress) {
    this(data, optimizer, batchSize, curvePoints, 1, progress);
  }

  /**
   * @param threads the threads each training step is split over ({@link Learner#threads(int)})
   */
  public Evaluator(
      EncodedDataset data,
      OptimizerConfig optimizer,
      int batchSize,
      int curvePoints,
      int threads,
      Consumer<String> progress) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("invalid batch-size = " + batchSize + "; allowed: > 0");
    }
    if (threads < 1) {
      throw new IllegalArgumentException("invalid threads = " + threads + "; allowed: >= 1");
    }
    this.threads = threads;
    this.data = data;
    this.optimizer = optimizer;
    this.batchSize = batchSize;
    this.curvePoints = curvePoints;
    this.progress = progress;
  }

  /**
   * Progressive validation through the learner's own {@link MicroBatch}: rows join the micro-batch
   * in stream order, each step predicts them with the current weights and then trains on them.
   */
  public RunResult online(ModelConfig config) {
    return onlineWithMembers(config).get(0);
  }

  /**
   * {@link #online}, and for a blend also each member's own progressive metrics over the same run
   * (its predictions inside the blend, named {@code blend/member}), after the blend's.
   */
  public List<RunResult> onlineWithMembers(ModelConfig config) {
    CtrModel model = Models.create(config, data.spec().layout());
    try (Learner learner = new Learner(model, optimizer)) {
      learner.threads(threads);
      return onlineWithMembers(config, model, learner);
    }
  }

  private List<RunResult> onlineWithMembers(ModelConfig config, CtrModel model, Learner learner) {
    int n = data.size();
    Batch all = data.rows();
    int t = all.tasks;
    double[] p = new double[n];
    double[] y = new double[n];
    BlendModel blend = model instanceof BlendModel b ? b : null;
    double[][] memberP = new double[blend == null ? 0 : blend.memberCount()][n];
    int[] trained = {0};
    MicroBatch micro =
        new MicroBatch(
            learner,
            data.spec().layout().newBatch(batchSize, t),
            (batch, probs) -> {
              for (int b = 0; b < batch.size(); b++) {
                p[trained[0] + b] = probs[b * t];
                y[trained[0] + b] = batch.label[b * t];
                for (int k = 0; k < memberP.length; k++) {
                  memberP[k][trained[0] + b] = Loss.sigmoid(blend.memberLogits(k)[b * t]);
                }
              }
              trained[0] += batch.size();
            });
    List<EncodedDataset.Recycle> recycles = data.recycles();
    int nextRecycle = 0;
    List<double[]> curve = new ArrayList<>();
    int curveEvery = Math.max(batchSize, (n / Math.max(1, curvePoints)) / batchSize * batchSize);
    long start = System.nanoTime();
    long lastReport = start;
    for (int from = 0; from < n; from += batchSize) {
      int to = Math.min(n, from + batchSize);
      // Rows whose id was handed to a new key re-initialise before the batch that first uses them.
      while (nextRecycle < recycles.size() && recycles.get(nextRecycle).position() < to) {
        EncodedDataset.Recycle r = recycles.get(nextRecycle++);
        model.resetRow(r.field(), r.id(), r.generation());
      }
      for (int i = from; i < to; i++) {
        micro.append(all, i);
      }
      micro.train();
      long now = System.nanoTime();
      if (now - lastReport > 2_000_000_000L) {
        lastReport = now;
        progress.accept(
            String.format(
                "  %s online seed %d: %,d/%,d events, %.0f ex/s",
                config.name(), config.seed(), to, n, to / ((now - start) / 1e9)));
      }
    }
    // The rate is the learner's: the curve's metrics are computed after the clock stops.
    double seconds = (System.nanoTime() - start) / 1e9;
    for (int to = curveEvery; to <= n + curveEvery - 1; to += curveEvery) {
      int end = Math.min(to, n);
      int windowFrom = Math.max(0, end - curveEvery);
      curve.add(
          new double[] {
            end,
            Metrics.auc(p, y, 0, end),
            Metrics.auc(p, y, windowFrom, end),
            Metrics.logLoss(p, y, 0, end)
          });
    }
    List<RunResult> results = new ArrayList<>();
    results.add(
        RunResult.online(
            config.name(), config.seed(), p, y, n / seconds, learner.skippedSteps(), curve));
    for (int k = 0; k < memberP.length; k++) {
      results.add(
          RunResult.online(
              config.name() + "/" + config.members().get(k).cliName(),
              config.seed(),
              memberP[k],
              y,
              n / seconds,
              learner.skippedSteps(),
              List.of()));
    }
    return results;
  }

  public RunResult offline(ModelConfig config, int maxEpochs) {
    CtrModel model = Models.create(config, data.spec().layout());
    try (Learner learner = new Learner(model, optimizer)) {
      learner.threads(threads);
      return offline(config, maxEpochs, model, learner);
    }
  }

  private RunResult offline(ModelConfig config, int maxEpochs, CtrModel model, Learner learner) {
    int n = data.size();
    int trainEnd = (int) Math.floor(0.7 * n);
    int valEnd = (int) Math.floor(0.8 * n);
    Batch all = data.rows();
    boolean[][] seen = seenInTraining(all, trainEnd);
    Batch batch = data.spec().layout().newBatch(batchSize, data.spec().tasks().size());
    double[] probs = new double[batchSize * batch.tasks];
    int[] order = new int[trainEnd];
    TorchRandperm shuffle = new TorchRandperm(1000 + config.seed());
    double bestAuc = Double.NEGATIVE_INFINITY;
    ModelState best = null;
    int epochs = 0;
    long start = System.nanoTime();
    long trained = 0;
    for (int epoch = 0; epoch < maxEpochs; epoch++) {
      shuffle.next(order);
      for (int from = 0; from < trainEnd; from += batchSize) {
        int to = Math.min(trainEnd, from + batchSize);
        for (int i = from; i < to; i++) {
          batch.copyRow(all, order[i], i - from);
        }
        batch.setSize(to - from);
        learner.predictThenTrain(batch, probs);
        trained += to - from;
      }
      epochs++;
      double valAuc = score(learner, all, seen, batch, probs, trainEnd, valEnd)[0];
      progress.accept(
          String.format(
              "  %s offline seed %d: epoch %d validation AUC %.4f",
              config.name(), config.seed(), epoch + 1, valAuc));
      if (best == null || valAuc > bestAuc) {
        bestAuc = valAuc;
        best = ModelState.capture(model);
      } else {
        break;
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    best.restoreInto(model);
    double[] test = score(learner, all, seen, batch, probs, valEnd, n);
    return new RunResult(
        config.name(),
        "offline",
        config.seed(),
        test[0],
        test[1],
        Double.NaN,
        test[2],
        test[3],
        Double.NaN,
        trained / seconds,
        trained,
        learner.skippedSteps(),
        epochs,
        List.of(),
        List.of());
  }

  /** [AUC, log-loss, NE, calibration] of rows [from, to) with OOV masking, without training. */
  private double[] score(
      Learner learner, Batch all, boolean[][] seen, Batch batch, double[] probs, int from, int to) {
    int t = batch.tasks;
    double[] p = new double[to - from];
    double[] y = new double[to - from];
    for (int s = from; s < to; s += batchSize) {
      int e = Math.min(to, s + batchSize);
      for (int i = s; i < e; i++) {
        batch.copyRow(all, i, i - s);
        maskUnseen(batch, i - s, seen);
      }
      batch.setSize(e - s);
      learner.predict(batch, probs);
      for (int i = s; i < e; i++) {
        p[i - from] = probs[(i - s) * t];
        y[i - from] = batch.label[(i - s) * t];
      }
    }
    return new double[] {
      Metrics.auc(p, y, 0, p.length),
      Metrics.logLoss(p, y, 0, p.length),
      Metrics.normalisedEntropy(p, y, 0, p.length),
      Metrics.calibration(p, y, 0, p.length)
    };
  }

  private static boolean[][] seenInTraining(Batch all, int trainEnd) {
    int fields = all.nCat + all.nMulti;
    boolean[][] seen = new boolean[fields][];
    int[] max = new int[fields];
    for (int i = 0; i < all.size(); i++) {
      for (int f = 0; f < all.nCat; f++) {
        max[f] = Math.max(max[f], all.cat[i * all.nCat + f]);
      }
      for (int f = 0; f < all.nMulti; f++) {
        for (int k = 0; k < all.maxMulti; k++) {
          max[all.nCat + f] =
              Math.max(max[all.nCat + f], all.multi[(i * all.nMulti + f) * all.maxMulti + k]);
        }
      }
    }
    for (int f = 0; f < fields; f++) {
      seen[f] = new boolean[max[f] + 1];
    }
    for (int i = 0; i < trainEnd; i++) {
      for (int f = 0; f < all.nCat; f++) {
        seen[f][all.cat[i * all.nCat + f]] = true;
      }
      for (int f = 0; f < all.nMulti; f++) {
        for (int k = 0; k < all.maxMulti; k++) {
          seen[all.nCat + f][all.multi[(i * all.nMulti + f) * all.maxMulti + k]] = true;
        }
      }
    }
    return seen;
  }

  private static void maskUnseen(Batch b, int row, boolean[][] seen) {
    for (int f = 0; f < b.nCat; f++) {
      int i = row * b.nCat + f;
      if (!seen[f][b.cat[i]]) {
        b.cat[i] = 0;
      }
    }
    for (int f = 0; f < b.nMulti; f++) {
      for (int k = 0; k < b.maxMulti; k++) {
        int i = (row * b.nMulti + f) * b.maxMulti + k;
        if (!seen[b.nCat + f][b.multi[i]]) {
          b.multi[i] = 0;
        }
      }
    }
  }
}
