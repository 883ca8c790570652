package ai.hiformer.learner.eval;

import ai.hiformer.features.EncodedDataset;
import ai.hiformer.learner.MicroBatch;
import ai.hiformer.model.Batch;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.Models;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import ai.hiformer.model.train.PeerDelta;
import ai.hiformer.model.train.PeerExchange;
import java.util.ArrayList;
import java.util.List;

/**
 * Progressive validation of K learners of one model that exchange their deltas every S examples
 * ({@code evaluate --learners K --sync-examples S}): what {@code learn.parallelism=K} does to
 * quality, measured offline with the merge a job's learners use ({@link PeerExchange}), in lock
 * step.
 *
 * <p>Example i of the stream goes to learner {@code i mod K} (a stand-in for a hash of the request
 * id: every learner sees an even, interleaved share). Each learner fills its own micro-batch of B/K
 * (the micro-batch B stays the model's step: with an exchange after every step the K learners take
 * the step one learner would) and takes a predict-then-train step when it is full, so its
 * predictions are made with its own weights as they stand, which lag the other learners' examples
 * by up to one exchange period. After every S examples of the stream all learners exchange; a
 * micro-batch part-filled at that moment waits for its next examples (as in a job, whose exchange
 * is timed, not counted). The metrics are over every example's prediction, in stream order, as for
 * one learner.
 */
public final class ParallelLearners {
  private final EncodedDataset data;
  private final OptimizerConfig optimizer;
  private final int batchSize;

  public ParallelLearners(EncodedDataset data, OptimizerConfig optimizer, int batchSize) {
    this.data = data;
    this.optimizer = optimizer;
    this.batchSize = batchSize;
  }

  /**
   * @param learners K ≥ 1
   * @param syncExamples S ≥ 1, examples of the whole stream between exchanges
   * @param merge how the dense weights merge
   * @return the run's metrics, named {@code modelxK/S}, and what its exchanges cost
   */
  public Outcome online(
      ModelConfig config, int learners, int syncExamples, PeerExchange.Merge merge) {
    if (learners < 1 || syncExamples < 1) {
      throw new IllegalArgumentException(
          "invalid learners = "
              + learners
              + ", sync-examples = "
              + syncExamples
              + "; allowed: >= 1");
    }
    int n = data.size();
    Batch all = data.rows();
    int t = all.tasks;
    double[] p = new double[n];
    double[] y = new double[n];
    List<Learner> team = new ArrayList<>();
    List<MicroBatch> micro = new ArrayList<>();
    List<int[]> positions = new ArrayList<>(); // per learner: stream index of each pending row
    // The micro-batch is the model's step: each learner steps on its 1/K share of it.
    int share = Math.max(1, batchSize / learners);
    for (int k = 0; k < learners; k++) {
      Learner learner = new Learner(Models.create(config, data.spec().layout()), optimizer);
      int[] at = new int[share];
      team.add(learner);
      positions.add(at);
      micro.add(
          new MicroBatch(
              learner,
              data.spec().layout().newBatch(share, t),
              (batch, probs) -> {
                for (int b = 0; b < batch.size(); b++) {
                  p[at[b]] = probs[b * t];
                  y[at[b]] = batch.label[b * t];
                }
              }));
    }
    List<PeerExchange> sides = new ArrayList<>();
    for (int k = 0; learners > 1 && k < learners; k++) {
      sides.add(new PeerExchange(team.get(k), k, learners, merge));
    }
    List<EncodedDataset.Recycle> recycles = data.recycles();
    int nextRecycle = 0;
    long exchanges = 0;
    long mergedRows = 0;
    long exchangeNanos = 0;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      // A row handed to a new key re-initialises everywhere before the example that first uses it.
      while (nextRecycle < recycles.size() && recycles.get(nextRecycle).position() <= i) {
        EncodedDataset.Recycle r = recycles.get(nextRecycle++);
        for (int k = 0; k < learners; k++) {
          if (sides.isEmpty()) {
            team.get(k).model().resetRow(r.field(), r.id(), r.generation());
          } else {
            sides.get(k).resetRow(r.field(), r.id(), r.generation());
          }
        }
      }
      int k = i % learners;
      MicroBatch m = micro.get(k);
      positions.get(k)[m.append(all, i)] = i;
      if (m.isFull()) {
        m.train();
      }
      if (!sides.isEmpty() && (i + 1) % syncExamples == 0) {
        long t0 = System.nanoTime();
        mergedRows += exchange(sides);
        exchangeNanos += System.nanoTime() - t0;
        exchanges++;
      }
    }
    for (MicroBatch m : micro) {
      m.train(); // the stream's last part-filled batches
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long skipped = team.stream().mapToLong(Learner::skippedSteps).sum();
    RunResult result =
        RunResult.online(
            config.name() + "x" + learners + "/" + syncExamples,
            config.seed(),
            p,
            y,
            n / seconds,
            skipped,
            List.of());
    return new Outcome(
        result,
        exchanges,
        exchanges == 0 ? 0 : mergedRows / (double) exchanges,
        team.get(0).model().params().count(),
        exchanges == 0 ? 0 : exchangeNanos / 1e6 / exchanges);
  }

  /**
   * One exchange in lock step: every learner sends, receives the others' deltas and applies.
   *
   * @return the rows merged (as each learner merges them)
   */
  private static long exchange(List<PeerExchange> sides) {
    List<PeerDelta> sent = new ArrayList<>();
    for (PeerExchange side : sides) {
      sent.add(side.send());
    }
    long rows = 0;
    for (PeerExchange side : sides) {
      for (PeerDelta d : sent) {
        side.receive(d);
      }
      rows = side.applyReady();
    }
    return rows;
  }

  /**
   * A run and its exchanges' costs.
   *
   * @param rowsPerExchange embedding rows merged per exchange (changed by at least one learner)
   * @param denseWeights dense weights merged at every exchange
   * @param millisPerExchange wall time of one merge of all K learners on one thread, in this
   *     process (no network)
   */
  public record Outcome(
      RunResult result,
      long exchanges,
      double rowsPerExchange,
      long denseWeights,
      double millisPerExchange) {}
}
