package ai.hiformer.cli;

import ai.hiformer.learner.Metrics;
import ai.hiformer.learner.eval.DelayedFeedback;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * {@code evaluate --label-delay exp:MEAN}: the delayed-label protocol ({@link DelayedFeedback}) for
 * models × modes × negative-sampling rates × seeds. Writes every run to {@code delayed.csv}, the
 * summaries (min, median, mean ± std over the seeds, and each mode's share of the window–oracle
 * log-loss gap that it recovers) to {@code delayed.json}, and prints both.
 */
final class DelayedEvaluation {
  static final List<String> FLAGS =
      List.of(
          "label-delay",
          "join-window",
          "attribution-window",
          "delay-modes",
          "negative-sampling",
          "row-sampling");

  static final String USAGE =
      """
      Delayed labels (docs/DELAYED_LABELS.md): --label-delay exp:MEAN runs the simulation instead,
        --join-window W (default MEAN)  --attribution-window A (default 30 W)
        --delay-modes oracle,window,fnw,fnc,window-fnw (default all)  --negative-sampling 1,0.5 (default 1)
        --row-sampling 1,0.78 (default 1): learn from each impression with this probability, no correction
          (the control for negative sampling: what fewer examples cost, whichever are dropped)
        durations: a number and a unit, ms, s, m, h or d (exp:1h, 90m)
      """;

  private DelayedEvaluation() {}

  /** One sampling configuration: r for the negatives (corrected) and f for whole impressions. */
  private record Sampling(double negativeKeep, double rowKeep) {
    boolean of(DelayedFeedback.Run r) {
      return r.negativeKeep() == negativeKeep && r.rowKeep() == rowKeep;
    }

    String label() {
      return rowKeep == 1 ? "r=" + negativeKeep : "r=" + negativeKeep + " f=" + rowKeep;
    }
  }

  /** Each run's figures, in the order of delayed.csv's columns and the summaries' keys. */
  private static final Map<String, ToDoubleFunction<DelayedFeedback.Run>> METRICS =
      new LinkedHashMap<>();

  static {
    METRICS.put("auc", r -> r.all().auc());
    METRICS.put("log_loss", r -> r.all().logLoss());
    METRICS.put("ne", r -> r.all().ne());
    METRICS.put("calibration", r -> r.all().calibration());
    METRICS.put("auc_last20", r -> r.last20().auc());
    METRICS.put("log_loss_last20", r -> r.last20().logLoss());
    METRICS.put("ne_last20", r -> r.last20().ne());
    METRICS.put("calibration_last20", r -> r.last20().calibration());
    METRICS.put("training_events", r -> r.trainingEvents());
    METRICS.put("training_events_per_s", DelayedFeedback.Run::trainingEventsPerSecond);
    METRICS.put("late_share", DelayedFeedback.Run::lateShare);
  }

  /** A duration such as {@code 90m} or {@code 1h}, in ms; a usage error naming {@code key}. */
  static long durationMillis(String key, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    String[][] units = {
      {"ms", "1"}, {"s", "1000"}, {"m", "60000"}, {"h", "3600000"}, {"d", "86400000"}
    };
    for (String[] u : units) {
      if (t.endsWith(u[0])) {
        try {
          double v = Double.parseDouble(t.substring(0, t.length() - u[0].length()));
          if (v > 0 && Double.isFinite(v)) {
            return Math.round(v * Long.parseLong(u[1]));
          }
        } catch (NumberFormatException e) {
          break; // "5ms" ends with "s" too, but parses above first; anything else is an error
        }
      }
    }
    throw new Options.UsageException(
        "evaluate: invalid --"
            + key
            + " = '"
            + text
            + "'; allowed: a positive number with a unit ms, s, m, h or d (for example 90m)");
  }

  static int run(Study s) throws IOException {
    String delay = s.options().get("label-delay", "");
    if (!delay.startsWith("exp:")) {
      throw new Options.UsageException(
          "evaluate: invalid --label-delay = '"
              + delay
              + "'; allowed: exp:MEAN (for example exp:1h)");
    }
    long mean = durationMillis("label-delay", delay.substring(4));
    long window =
        s.options().has("join-window")
            ? durationMillis("join-window", s.options().get("join-window", ""))
            : mean;
    long attribution =
        s.options().has("attribution-window")
            ? durationMillis("attribution-window", s.options().get("attribution-window", ""))
            : 30 * window;
    List<DelayedFeedback.Mode> modes = new ArrayList<>();
    List<Sampling> samplings = new ArrayList<>();
    try {
      for (String m : s.options().list("delay-modes", "oracle,window,fnw,fnc,window-fnw")) {
        modes.add(DelayedFeedback.Mode.parse(m));
      }
      for (String r : s.options().list("negative-sampling", "1")) {
        for (String f : s.options().list("row-sampling", "1")) {
          Sampling sampling = new Sampling(Double.parseDouble(r), Double.parseDouble(f));
          new DelayedFeedback.Settings(
              mean, window, attribution, sampling.negativeKeep(), sampling.rowKeep());
          samplings.add(sampling);
        }
      }
    } catch (IllegalArgumentException e) {
      throw new Options.UsageException("evaluate: " + e.getMessage());
    }
    s.print()
        .printf(
            Locale.ROOT,
            "Delayed labels: mean delay %,d ms, join window %,d ms, attribution window %,d ms; event"
                + " time %s%n",
            mean,
            window,
            attribution,
            s.dataset().hasEventTimes()
                ? "from the spec's time field"
                : "synthetic, row i at i seconds");
    DelayedFeedback simulation = new DelayedFeedback(s.dataset(), s.optimizer(), s.batchSize());
    List<DelayedFeedback.Run> runs = new ArrayList<>();
    StringBuilder csv =
        new StringBuilder(
            "model,mode,negative_keep,row_keep,seed," + String.join(",", METRICS.keySet()) + "\n");
    for (String kind : s.kinds()) {
      for (Sampling keep : samplings) {
        var settings =
            new DelayedFeedback.Settings(
                mean, window, attribution, keep.negativeKeep(), keep.rowKeep());
        for (DelayedFeedback.Mode mode : modes) {
          for (long seed : s.seeds()) {
            DelayedFeedback.Run r = simulation.run(s.configs().of(kind, seed), mode, settings);
            runs.add(r);
            csv.append(
                String.join(
                    ",",
                    r.model(),
                    mode.cliName(),
                    "" + keep.negativeKeep(),
                    "" + keep.rowKeep(),
                    "" + seed));
            METRICS.values().forEach(f -> csv.append(',').append(f.applyAsDouble(r)));
            csv.append('\n');
            s.print()
                .printf(
                    Locale.ROOT,
                    "  %s %s %s seed %d: AUC %.4f log-loss %.4f calibration of the last 20 %% %.3f%n",
                    r.model(),
                    mode.cliName(),
                    keep.label(),
                    seed,
                    r.all().auc(),
                    r.all().logLoss(),
                    r.last20().calibration());
          }
        }
      }
    }
    Files.createDirectories(s.out());
    Files.writeString(s.out().resolve("delayed.csv"), csv);
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("mean_delay_ms", mean)
        .put("join_window_ms", window)
        .put("attribution_window_ms", attribution)
        .put("events", s.dataset().size())
        .put(
            "event_time",
            s.dataset().hasEventTimes() ? "spec time field" : "synthetic: row i at i s")
        .put("seeds", s.seeds().size());
    var groups = root.putArray("summaries");
    s.print()
        .println(
            "model     mode   sampling     | AUC mean ± std (min / median) | log-loss mean ± std | NE mean"
                + " | calibration all / last 20 % | gap recovered");
    for (String kind : s.kinds()) {
      for (Sampling keep : samplings) {
        for (DelayedFeedback.Mode mode : modes) {
          List<DelayedFeedback.Run> group = select(runs, kind, mode, keep);
          if (group.isEmpty()) {
            continue;
          }
          ObjectNode g = groups.addObject();
          g.put("model", group.get(0).model())
              .put("mode", mode.cliName())
              .put("negative_keep", keep.negativeKeep())
              .put("row_keep", keep.rowKeep());
          METRICS.forEach((name, f) -> stats(g.putObject(name), values(group, f)));
          double recovered = gapRecovered(runs, group, kind, keep);
          if (!Double.isNaN(recovered)) {
            g.put("gap_recovered_mean", recovered);
          }
          double[] auc = values(group, r -> r.all().auc());
          double[] ll = values(group, r -> r.all().logLoss());
          s.print()
              .printf(
                  Locale.ROOT,
                  "%-9s %-6s %-12s | %.4f ± %.4f (%.4f / %.4f) | %.4f ± %.4f | %.4f | %.3f / %.3f | %s%n",
                  group.get(0).model(),
                  mode.cliName(),
                  keep.label(),
                  Metrics.mean(auc),
                  Metrics.std(auc),
                  min(auc),
                  Metrics.median(auc),
                  Metrics.mean(ll),
                  Metrics.std(ll),
                  Metrics.mean(values(group, r -> r.all().ne())),
                  Metrics.mean(values(group, r -> r.all().calibration())),
                  Metrics.mean(values(group, r -> r.last20().calibration())),
                  Double.isNaN(recovered)
                      ? "-"
                      : String.format(Locale.ROOT, "%.1f %%", 100 * recovered));
        }
      }
    }
    json.writerWithDefaultPrettyPrinter()
        .writeValue(s.out().resolve("delayed.json").toFile(), root);
    s.print().println("Wrote " + s.out().resolve("delayed.json") + ", delayed.csv");
    return 0;
  }

  private static List<DelayedFeedback.Run> select(
      List<DelayedFeedback.Run> runs, String kind, DelayedFeedback.Mode mode, Sampling keep) {
    return runs.stream()
        .filter(r -> r.model().equals(kind) && r.mode() == mode && keep.of(r))
        .toList();
  }

  /**
   * The mean over seeds of (LL_window − LL_mode) / (LL_window − LL_oracle), each seed's runs
   * paired; NaN without both a window and an oracle run.
   */
  private static double gapRecovered(
      List<DelayedFeedback.Run> runs, List<DelayedFeedback.Run> group, String kind, Sampling keep) {
    List<Double> shares = new ArrayList<>();
    for (DelayedFeedback.Run r : group) {
      DelayedFeedback.Run window = seedRun(runs, kind, DelayedFeedback.Mode.WINDOW, keep, r.seed());
      DelayedFeedback.Run oracle = seedRun(runs, kind, DelayedFeedback.Mode.ORACLE, keep, r.seed());
      if (window == null || oracle == null) {
        return Double.NaN;
      }
      double gap = window.all().logLoss() - oracle.all().logLoss();
      shares.add((window.all().logLoss() - r.all().logLoss()) / gap);
    }
    return shares.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }

  private static DelayedFeedback.Run seedRun(
      List<DelayedFeedback.Run> runs,
      String kind,
      DelayedFeedback.Mode mode,
      Sampling keep,
      long seed) {
    return select(runs, kind, mode, keep).stream()
        .filter(r -> r.seed() == seed)
        .findFirst()
        .orElse(null);
  }

  private static double[] values(
      List<DelayedFeedback.Run> group, ToDoubleFunction<DelayedFeedback.Run> f) {
    return group.stream().mapToDouble(f).toArray();
  }

  private static double min(double[] v) {
    return java.util.Arrays.stream(v).min().orElse(Double.NaN);
  }

  /** min, median, mean, std and max of one figure over the seeds. */
  static void stats(ObjectNode node, double[] v) {
    node.put("min", min(v))
        .put("median", Metrics.median(v))
        .put("mean", Metrics.mean(v))
        .put("std", Metrics.std(v))
        .put("max", java.util.Arrays.stream(v).max().orElse(Double.NaN));
  }
}
