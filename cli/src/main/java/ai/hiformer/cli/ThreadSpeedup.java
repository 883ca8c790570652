package ai.hiformer.cli;

import ai.hiformer.learner.Metrics;
import ai.hiformer.learner.eval.Evaluator;
import ai.hiformer.learner.eval.RunResult;
import ai.hiformer.model.ModelConfig;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * The comparison of {@code evaluate --threads 1,2}: the same model, mode and seed run once per
 * thread count (rows named {@code model@Kt}), set against the first count seed by seed.
 *
 * <p>JSON, under {@code thread_speedup} in summary.json, one entry per {@code "model mode"}, then
 * per thread count K: {@code examples_per_second_median} (over seeds), {@code ratio_median} and
 * {@code ratio_min} (K's examples/s over the first count's, seed by seed), {@code
 * auc_max_abs_difference} (the largest |AUC(K) − AUC(first)| over seeds); for K > 1 in online mode
 * also the machine's own ceiling, K one-thread learners of the same seed run at once, each on its
 * own model, so they share nothing but the machine: {@code independent_ratio_median} (the sum of
 * their examples/s over the first count's, seed by seed) and {@code share_of_independent_median} (K
 * threads' examples/s over that sum, seed by seed: how much of what K cores give work that shares
 * nothing the threads reach).
 */
final class ThreadSpeedup {
  private ThreadSpeedup() {}

  /**
   * The sum of the examples/s of {@code k} one-thread learners of {@code config}, run at once, each
   * on its own model: what k cores give learning that shares nothing.
   */
  static double independent(int k, Supplier<Evaluator> evaluators, ModelConfig config) {
    ExecutorService pool = Executors.newFixedThreadPool(k);
    try {
      List<Evaluator> each = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        each.add(evaluators.get());
      }
      List<Future<List<RunResult>>> running = new ArrayList<>();
      for (Evaluator e : each) {
        running.add(pool.submit(() -> e.onlineWithMembers(config)));
      }
      double sum = 0;
      for (Future<List<RunResult>> f : running) {
        sum += f.get().get(0).examplesPerSecond();
      }
      return sum;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while measuring independent learners", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("an independent learner failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * @param independent per "model mode", per thread count K, per seed: {@link #independent}'s sum
   *     (may be empty)
   */
  static Map<String, Object> summarise(
      List<RunResult> runs,
      List<Integer> counts,
      Map<String, Map<Integer, Map<Long, Double>>> independent,
      PrintStream out) {
    Map<String, Object> all = new LinkedHashMap<>();
    int base = counts.get(0);
    Map<String, Map<Long, RunResult>> baseline = new LinkedHashMap<>();
    for (RunResult r : runs) {
      if (r.model().endsWith("@" + base + "t")) {
        baseline.computeIfAbsent(key(r, base), k -> new LinkedHashMap<>()).put(r.seed(), r);
      }
    }
    out.printf("%nSpeed-up against %d thread(s), seed by seed (same run, alternated):%n", base);
    for (Map.Entry<String, Map<Long, RunResult>> group : baseline.entrySet()) {
      Map<String, Object> byCount = new LinkedHashMap<>();
      for (int k : counts) {
        List<Double> rates = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> ceilings = new ArrayList<>();
        List<Double> shares = new ArrayList<>();
        Map<Long, Double> alone =
            independent.getOrDefault(group.getKey(), Map.of()).getOrDefault(k, Map.of());
        double aucDiff = 0;
        for (RunResult r : runs) {
          if (!r.model().endsWith("@" + k + "t") || !key(r, k).equals(group.getKey())) {
            continue;
          }
          RunResult b = group.getValue().get(r.seed());
          rates.add(r.examplesPerSecond());
          ratios.add(r.examplesPerSecond() / b.examplesPerSecond());
          Double sum = alone.get(r.seed());
          if (sum != null) {
            ceilings.add(sum / b.examplesPerSecond());
            shares.add(r.examplesPerSecond() / sum);
          }
          aucDiff = Math.max(aucDiff, Math.abs(r.auc() - b.auc()));
        }
        double[] rate = rates.stream().mapToDouble(Double::doubleValue).toArray();
        double[] ratio = ratios.stream().mapToDouble(Double::doubleValue).toArray();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("examples_per_second_median", Metrics.median(rate));
        figures.put("ratio_median", Metrics.median(ratio));
        double ratioMin = java.util.Arrays.stream(ratio).min().orElse(Double.NaN);
        figures.put("ratio_min", ratioMin);
        figures.put("auc_max_abs_difference", aucDiff);
        byCount.put(Integer.toString(k), figures);
        out.printf(
            "  %-28s %2d thread(s): median %,8.0f examples/s, ratio median %.2f (min %.2f),"
                + " max |ΔAUC| %.4f over %d seeds%n",
            group.getKey(),
            k,
            Metrics.median(rate),
            Metrics.median(ratio),
            ratioMin,
            aucDiff,
            rate.length);
        if (!ceilings.isEmpty()) {
          double[] ceiling = ceilings.stream().mapToDouble(Double::doubleValue).toArray();
          double[] share = shares.stream().mapToDouble(Double::doubleValue).toArray();
          figures.put("independent_ratio_median", Metrics.median(ceiling));
          figures.put("share_of_independent_median", Metrics.median(share));
          out.printf(
              "  %-28s %2d independent one-thread learners at once: ratio median %.2f (the machine's"
                  + " ceiling); %d threads reach %.0f %% of it%n",
              "", k, Metrics.median(ceiling), k, 100 * Metrics.median(share));
        }
      }
      all.put(group.getKey(), byCount);
    }
    return all;
  }

  /** "model mode" without the thread suffix. */
  private static String key(RunResult r, int threads) {
    String name = r.model();
    return name.substring(0, name.length() - ("@" + threads + "t").length()) + " " + r.mode();
  }
}
