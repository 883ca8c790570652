package ai.hiformer.learner.eval;

import ai.hiformer.features.EncodedDataset;
import ai.hiformer.learner.Metrics;
import ai.hiformer.model.Batch;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.Models;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.LabelPolicy;
import ai.hiformer.model.train.Learner;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Learning from labels that arrive late, simulated on a dataset so that every way of learning sees
 * the same delays and is scored against the true labels (docs/DELAYED_LABELS.md).
 *
 * <p>Each positive i gets a delay d_i drawn from an exponential distribution with the given mean,
 * from a generator seeded by (seed, i); a positive later than the attribution window A never
 * arrives and counts as a negative for every mode. Training events are applied in order of arrival
 * time, ties broken by row index, in micro-batches; every impression is predicted at its own time
 * by the model as it stands then, and the prediction is scored against the true label.
 *
 * <ul>
 *   <li>{@link Mode#ORACLE}: each example learned at its impression time with its true label;
 *   <li>{@link Mode#WINDOW}: learned at t_i + W, positive only if d_i ≤ W (a later positive is
 *       lost);
 *   <li>{@link Mode#FNW}, {@link Mode#FNC}: learned at t_i as a negative, and again at t_i + d_i as
 *       a positive if d_i ≤ A, with the fake-negative weighted loss or the fake-negative
 *       calibration ({@link LabelPolicy.DelayedLoss}).
 *   <li>{@link Mode#WINDOW_FNW}: learned at t_i + W as the window learns it, and a positive later
 *       than W (and within A) learned again at t_i + d_i; fake-negative weights for a wait, from
 *       the share of positives that arrived after W so far ({@link
 *       ai.hiformer.model.Loss#fakeNegativeWeights(ai.hiformer.model.Batch, double[], double,
 *       double[])}).
 * </ul>
 *
 * With negative sampling r &lt; 1 each negative training event is kept with probability r, decided
 * by (seed, i), and predictions are corrected for it. Only the first task is simulated and learned.
 */
public final class DelayedFeedback {
  /** How the examples are learned. */
  public enum Mode {
    ORACLE,
    WINDOW,
    FNW,
    FNC,
    WINDOW_FNW;

    public String cliName() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    public static Mode parse(String text) {
      for (Mode m : values()) {
        if (m.cliName().equals(text)) {
          return m;
        }
      }
      throw new IllegalArgumentException(
          "invalid delay mode '" + text + "'; allowed: oracle, window, fnw, fnc, window-fnw");
    }
  }

  /**
   * @param meanDelayMillis the mean of the positives' exponential delays (ms of event time), > 0
   * @param windowMillis W, how long an impression waits for its label in the window mode
   * @param attributionMillis A ≥ W: a positive later than this never arrives
   * @param negativeKeep r ∈ (0, 1], the probability that a negative training event is kept
   * @param rowKeep f ∈ (0, 1], the probability that an impression is learned from at all (all its
   *     training events, positive or negative; no correction, the base rate is unchanged): the
   *     control that tells what learning from fewer examples costs, apart from which were dropped
   */
  public record Settings(
      double meanDelayMillis,
      long windowMillis,
      long attributionMillis,
      double negativeKeep,
      double rowKeep) {
    /** Settings that learn from every impression. */
    public Settings(
        double meanDelayMillis, long windowMillis, long attributionMillis, double negativeKeep) {
      this(meanDelayMillis, windowMillis, attributionMillis, negativeKeep, 1);
    }

    public Settings {
      require(meanDelayMillis > 0, "label-delay mean", meanDelayMillis, "> 0");
      require(windowMillis > 0, "join-window", windowMillis, "> 0");
      require(
          attributionMillis >= windowMillis,
          "attribution-window",
          attributionMillis,
          ">= the join window (" + windowMillis + " ms)");
      require(
          negativeKeep > 0 && negativeKeep <= 1, "negative-sampling", negativeKeep, "in (0, 1]");
      require(rowKeep > 0 && rowKeep <= 1, "row-sampling", rowKeep, "in (0, 1]");
    }

    private static void require(boolean ok, String key, Object value, String allowed) {
      if (!ok) {
        throw new IllegalArgumentException(
            "invalid " + key + " = " + value + "; allowed: " + allowed);
      }
    }
  }

  /** Metrics of the predictions over a range of the stream, against the true labels. */
  public record Quality(double auc, double logLoss, double ne, double calibration) {
    static Quality of(double[] p, double[] y, int from, int to) {
      return new Quality(
          Metrics.auc(p, y, from, to),
          Metrics.logLoss(p, y, from, to),
          Metrics.normalisedEntropy(p, y, from, to),
          Metrics.calibration(p, y, from, to));
    }
  }

  /**
   * One run's outcome.
   *
   * @param all the whole stream
   * @param last20 its last 20 % of impressions
   * @param trainingEvents the training events applied (duplicates and sampling included)
   * @param lateShare the share of the positives that arrive after the window
   */
  public record Run(
      String model,
      Mode mode,
      double negativeKeep,
      double rowKeep,
      long seed,
      Quality all,
      Quality last20,
      long trainingEvents,
      double trainingEventsPerSecond,
      double lateShare) {}

  private static final long DELAY_SALT = 0x5DEECE66DL;
  private static final long SAMPLE_SALT = 0x2545F4914F6CDD1DL;
  private static final long ROW_SALT = 0x61C8864680B583EBL;

  private final EncodedDataset data;
  private final OptimizerConfig optimizer;
  private final int batchSize;

  public DelayedFeedback(EncodedDataset data, OptimizerConfig optimizer, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("invalid batch-size = " + batchSize + "; allowed: > 0");
    }
    if (!data.recycles().isEmpty()) {
      throw new IllegalArgumentException(
          "the delayed-label simulation needs a spec whose vocabularies never evict (this dataset"
              + " recycled "
              + data.recycles().size()
              + " rows)");
    }
    this.data = data;
    this.optimizer = optimizer;
    this.batchSize = batchSize;
  }

  /** Row i's delay (ms), for a positive; the same for every mode of a seed. */
  static double delayMillis(long seed, int i, double meanMillis) {
    double u = new SplittableRandom(mix(seed ^ DELAY_SALT, i)).nextDouble();
    return -meanMillis * Math.log1p(-u);
  }

  /** Whether row i's negative training event is kept at rate r. */
  static boolean keepNegative(long seed, int i, double r) {
    return kept(seed ^ SAMPLE_SALT, i, r);
  }

  /** Whether row i is kept at rate {@code p}: a draw of (seed, i), the same for every mode. */
  private static boolean kept(long seed, int i, double p) {
    return p >= 1 || new SplittableRandom(mix(seed, i)).nextDouble() < p;
  }

  private static long mix(long seed, int i) {
    long z = seed + 0x9E3779B97F4A7C15L * (i + 1L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public Run run(ModelConfig config, Mode mode, Settings s) {
    int n = data.size();
    Batch all = data.rows();
    int t = all.tasks;
    long seed = config.seed();
    // The truth: the first task's label, a positive beyond the attribution window counting as 0.
    double[] y = new double[n];
    double[] delay = new double[n];
    int positives = 0;
    int late = 0;
    for (int i = 0; i < n; i++) {
      if (all.labelMask[i * t] != 0 && all.label[i * t] > 0.5) {
        delay[i] = delayMillis(seed, i, s.meanDelayMillis());
        if (delay[i] <= s.attributionMillis()) {
          y[i] = 1;
          positives++;
          late += delay[i] > s.windowMillis() ? 1 : 0;
        }
      }
    }
    Timeline training = timeline(mode, s, y, delay, seed);

    CtrModel model = Models.create(config, data.spec().layout());
    Learner learner = new Learner(model, optimizer);
    learner.labelPolicy(
        new LabelPolicy(
            switch (mode) {
              case FNW, WINDOW_FNW -> LabelPolicy.DelayedLoss.FNW;
              case FNC -> LabelPolicy.DelayedLoss.FNC;
              default -> LabelPolicy.DelayedLoss.NONE;
            },
            s.negativeKeep()));
    Batch train = data.spec().layout().newBatch(batchSize, t);
    Batch predict = data.spec().layout().newBatch(batchSize, t);
    double[] trainProbs = new double[batchSize * t];
    double[] predictProbs = new double[batchSize * t];
    double[] p = new double[n];
    // WINDOW_FNW's late share, as the learner can count it: of the positives arrived so far, those
    // after the window (a Laplace estimate, ½ before any arrives).
    long arrived = 0;
    long arrivedLate = 0;
    int predictFrom = 0; // rows [predictFrom, next) wait in `predict`
    int next = 0; // the next impression
    long start = System.nanoTime();
    for (int e = 0; e <= training.size; e++) {
      // Impressions up to this training event's time (an impression first at equal times).
      long until = e < training.size ? training.time[e] : Long.MAX_VALUE;
      while (next < n && data.eventTimeMillis(next) <= until) {
        predict.copyRow(all, next, next - predictFrom);
        next++;
        if (next - predictFrom == batchSize) {
          predictFrom = flushPredictions(learner, predict, predictProbs, p, predictFrom, next);
        }
      }
      if (e == training.size) {
        break;
      }
      int b = train.size();
      int row = training.row[e];
      train.copyRow(all, row, b);
      Arrays.fill(train.labelMask, b * t, (b + 1) * t, 0.0);
      train.label[b * t] = training.label[e];
      train.labelMask[b * t] = 1;
      train.setSize(b + 1);
      if (training.label[e] > 0.5) {
        arrived++;
        arrivedLate += delay[row] > s.windowMillis() ? 1 : 0;
      }
      if (train.size() == batchSize) {
        if (mode == Mode.WINDOW_FNW) {
          learner.labelPolicy(
              learner.labelPolicy().withLateShare((arrivedLate + 1.0) / (arrived + 2.0)));
        }
        // The step changes the weights: impressions before it are predicted first.
        predictFrom = flushPredictions(learner, predict, predictProbs, p, predictFrom, next);
        learner.predictThenTrain(train, trainProbs);
        train.setSize(0);
      }
    }
    flushPredictions(learner, predict, predictProbs, p, predictFrom, next);
    if (train.size() > 0) {
      learner.predictThenTrain(train, trainProbs);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    int last20 = (int) Math.floor(0.8 * n);
    return new Run(
        config.name(),
        mode,
        s.negativeKeep(),
        s.rowKeep(),
        seed,
        Quality.of(p, y, 0, n),
        Quality.of(p, y, last20, n),
        training.size,
        training.size / seconds,
        positives == 0 ? 0 : (double) late / positives);
  }

  private static int flushPredictions(
      Learner learner, Batch predict, double[] probs, double[] p, int from, int to) {
    if (to == from) {
      return from;
    }
    predict.setSize(to - from);
    learner.predict(predict, probs);
    for (int i = from; i < to; i++) {
      p[i] = probs[(i - from) * predict.tasks];
    }
    return to;
  }

  /** Training events in the order they are applied: (time, row, label), sorted. */
  private static final class Timeline {
    long[] time;
    int[] row;
    double[] label;
    int size;

    Timeline(int capacity) {
      time = new long[capacity];
      row = new int[capacity];
      label = new double[capacity];
    }

    void add(long at, int r, double l) {
      time[size] = at;
      row[size] = r;
      label[size] = l;
      size++;
    }

    /** Sorts by time, then row, then label (a fake negative before its positive). */
    void sort() {
      Integer[] order = new Integer[size];
      for (int i = 0; i < size; i++) {
        order[i] = i;
      }
      Arrays.sort(
          order,
          (a, b) -> {
            int c = Long.compare(time[a], time[b]);
            if (c == 0) {
              c = Integer.compare(row[a], row[b]);
            }
            return c != 0 ? c : Double.compare(label[a], label[b]);
          });
      long[] t2 = new long[size];
      int[] r2 = new int[size];
      double[] l2 = new double[size];
      for (int i = 0; i < size; i++) {
        t2[i] = time[order[i]];
        r2[i] = row[order[i]];
        l2[i] = label[order[i]];
      }
      time = t2;
      row = r2;
      label = l2;
    }
  }

  private Timeline timeline(Mode mode, Settings s, double[] y, double[] delay, long seed) {
    int n = y.length;
    Timeline tl = new Timeline(2 * n);
    for (int i = 0; i < n; i++) {
      if (!kept(seed ^ ROW_SALT, i, s.rowKeep())) {
        continue; // the control: not learned from at all
      }
      long at = data.eventTimeMillis(i);
      boolean positive = y[i] > 0.5;
      switch (mode) {
        case ORACLE -> {
          if (positive || keepNegative(seed, i, s.negativeKeep())) {
            tl.add(at, i, y[i]);
          }
        }
        case WINDOW -> {
          boolean seen = positive && delay[i] <= s.windowMillis();
          if (seen || keepNegative(seed, i, s.negativeKeep())) {
            tl.add(at + s.windowMillis(), i, seen ? 1 : 0);
          }
        }
        case WINDOW_FNW -> {
          boolean seen = positive && delay[i] <= s.windowMillis();
          if (seen || keepNegative(seed, i, s.negativeKeep())) {
            tl.add(at + s.windowMillis(), i, seen ? 1 : 0);
          }
          if (positive && !seen) {
            tl.add(at + (long) Math.ceil(delay[i]), i, 1);
          }
        }
        case FNW, FNC -> {
          if (keepNegative(seed, i, s.negativeKeep())) {
            tl.add(at, i, 0);
          }
          if (positive) {
            tl.add(at + (long) Math.ceil(delay[i]), i, 1);
          }
        }
      }
    }
    tl.sort();
    return tl;
  }
}
