package ai.hiformer.cli;

import ai.hiformer.learner.Metrics;
import ai.hiformer.learner.eval.RunResult;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The comparison of {@code evaluate --threads 1,2}: the same model, mode and seed run once per
 * thread count (rows named {@code model@Kt}), set against the first count seed by seed.
 *
 * <p>JSON, under {@code thread_speedup} in summary.json, one entry per {@code "model mode"}, then
 * per thread count K: {@code examples_per_second_median} (over seeds), {@code ratio_median} and
 * {@code ratio_min} (K's examples/s over the first count's, seed by seed), {@code
 * auc_max_abs_difference} (the largest |AUC(K) − AUC(first)| over seeds).
 */
final class ThreadSpeedup {
  private ThreadSpeedup() {}

  static Map<String, Object> summarise(
      List<RunResult> runs, List<Integer> counts, PrintStream out) {
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
        double aucDiff = 0;
        for (RunResult r : runs) {
          if (!r.model().endsWith("@" + k + "t") || !key(r, k).equals(group.getKey())) {
            continue;
          }
          RunResult b = group.getValue().get(r.seed());
          rates.add(r.examplesPerSecond());
          ratios.add(r.examplesPerSecond() / b.examplesPerSecond());
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
