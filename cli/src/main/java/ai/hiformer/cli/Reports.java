package ai.hiformer.cli;

import ai.hiformer.learner.Metrics;
import ai.hiformer.learner.eval.RunResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Writes what an evaluation found: the console table, summary.json, the learning-curve CSV and
 * plot.
 */
public final class Reports {
  private Reports() {}

  /** Groups runs by model × mode, in first-seen order. */
  public static Map<String, List<RunResult>> group(List<RunResult> runs) {
    Map<String, List<RunResult>> groups = new LinkedHashMap<>();
    for (RunResult r : runs) {
      groups.computeIfAbsent(r.model() + "/" + r.mode(), k -> new ArrayList<>()).add(r);
    }
    return groups;
  }

  public static void printTable(List<RunResult> runs, PrintStream out) {
    out.println();
    out.printf(
        Locale.ROOT,
        "%-12s %-8s %-6s %-17s %-9s %-7s %-12s %-10s %-12s%n",
        "model",
        "mode",
        "seed",
        "AUC",
        "logloss",
        "NE",
        "calibration",
        "AUC last20",
        "examples/s");
    for (List<RunResult> g : group(runs).values()) {
      for (RunResult r : g) {
        out.printf(
            Locale.ROOT,
            "%-12s %-8s %-6d %-17.4f %-9.4f %-7.4f %-12.3f %-10s %-12.0f%n",
            r.model(),
            r.mode(),
            r.seed(),
            r.auc(),
            r.logLoss(),
            r.ne(),
            r.calibration(),
            Double.isNaN(r.aucLast20()) ? "-" : String.format(Locale.ROOT, "%.4f", r.aucLast20()),
            r.examplesPerSecond());
      }
      double[] auc = g.stream().mapToDouble(RunResult::auc).toArray();
      double[] ll = g.stream().mapToDouble(RunResult::logLoss).toArray();
      double[] l20 = g.stream().mapToDouble(RunResult::aucLast20).toArray();
      double[] eps = g.stream().mapToDouble(RunResult::examplesPerSecond).toArray();
      RunResult f = g.get(0);
      out.printf(
          Locale.ROOT,
          "%-12s %-8s %-6s %-17s %-9.4f %-7.4f %-12.3f %-10s %-12.0f%n",
          f.model(),
          f.mode(),
          "mean",
          String.format(Locale.ROOT, "%.4f ± %.4f", Metrics.mean(auc), Metrics.std(auc)),
          Metrics.mean(ll),
          Metrics.mean(g.stream().mapToDouble(RunResult::ne).toArray()),
          Metrics.mean(g.stream().mapToDouble(RunResult::calibration).toArray()),
          Double.isNaN(l20[0]) ? "-" : String.format(Locale.ROOT, "%.4f", Metrics.mean(l20)),
          Metrics.mean(eps));
    }
    out.println();
  }

  public static void writeSummary(Path file, List<RunResult> runs, Map<String, Object> context)
      throws IOException {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    ObjectNode ctx = root.putObject("context");
    // Numbers, lists and maps (e.g. thread_speedup) as JSON; anything else as its text.
    context.forEach(
        (k, v) ->
            ctx.set(
                k,
                v instanceof Number || v instanceof java.util.Collection || v instanceof Map
                    ? mapper.valueToTree(v)
                    : mapper.getNodeFactory().textNode(String.valueOf(v))));
    ArrayNode results = root.putArray("results");
    for (List<RunResult> g : group(runs).values()) {
      RunResult f = g.get(0);
      double[] auc = g.stream().mapToDouble(RunResult::auc).toArray();
      ObjectNode o = results.addObject();
      o.put("model", f.model());
      o.put("mode", f.mode());
      ArrayNode seeds = o.putArray("seeds");
      ArrayNode aucs = o.putArray("auc");
      // Per seed, the predictions by decile: [mean prediction, observed rate, count] (online runs)
      ArrayNode reliability = o.putArray("reliability");
      for (RunResult r : g) {
        seeds.add(r.seed());
        aucs.add(r.auc());
        reliability.add(mapper.valueToTree(r.reliability()));
      }
      o.put("auc_mean", Metrics.mean(auc));
      o.put("auc_std", Metrics.std(auc));
      o.put("logloss_mean", Metrics.mean(g.stream().mapToDouble(RunResult::logLoss).toArray()));
      o.put("ne_mean", Metrics.mean(g.stream().mapToDouble(RunResult::ne).toArray()));
      o.put(
          "calibration_mean",
          Metrics.mean(g.stream().mapToDouble(RunResult::calibration).toArray()));
      double l20 = Metrics.mean(g.stream().mapToDouble(RunResult::aucLast20).toArray());
      if (Double.isNaN(l20)) {
        o.putNull("auc_last20_mean");
        o.putNull("calibration_last20_mean");
      } else {
        o.put("auc_last20_mean", l20);
        o.put(
            "calibration_last20_mean",
            Metrics.mean(g.stream().mapToDouble(RunResult::calibrationLast20).toArray()));
      }
      o.put(
          "examples_per_s",
          Metrics.mean(g.stream().mapToDouble(RunResult::examplesPerSecond).toArray()));
      o.put("skipped_steps", g.stream().mapToLong(RunResult::skippedSteps).sum());
      o.put("epochs_mean", g.stream().mapToInt(RunResult::epochs).average().orElse(0));
    }
    mapper.writeValue(file.toFile(), root);
  }

  public static void writeCurveCsv(Path file, List<RunResult> runs) throws IOException {
    try (Writer w = Files.newBufferedWriter(file)) {
      w.write("model,seed,events,progressive_auc,window_auc,progressive_logloss\n");
      for (RunResult r : runs) {
        for (double[] c : r.curve()) {
          w.write(
              String.format(
                  Locale.ROOT,
                  "%s,%d,%d,%.6f,%.6f,%.6f%n",
                  r.model(),
                  r.seed(),
                  (long) c[0],
                  c[1],
                  c[2],
                  c[3]));
        }
      }
    }
  }

  /** Progressive AUC over the stream, one line per model × seed. */
  public static void writeCurvePng(Path file, List<RunResult> runs, String title)
      throws IOException {
    XYSeriesCollection series = new XYSeriesCollection();
    for (RunResult r : runs) {
      if (r.curve().isEmpty()) {
        continue;
      }
      XYSeries s = new XYSeries(r.model() + " seed " + r.seed());
      for (double[] c : r.curve()) {
        if (!Double.isNaN(c[1])) {
          s.add(c[0], c[1]);
        }
      }
      series.addSeries(s);
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title,
            "events seen",
            "progressive AUC",
            series,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = chart.getXYPlot();
    ((org.jfree.chart.axis.NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    plain(chart, new XYLineAndShapeRenderer(true, false));
    ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, 600);
  }

  /**
   * The reliability plot of the online runs: per run, the mean prediction of each decile against
   * its observed positive rate, beside the diagonal a calibrated model would follow.
   */
  public static void writeReliabilityPng(Path file, List<RunResult> runs, String title)
      throws IOException {
    XYSeriesCollection series = new XYSeriesCollection();
    XYSeries diagonal = new XYSeries("calibrated");
    diagonal.add(0.0, 0.0);
    diagonal.add(1.0, 1.0);
    series.addSeries(diagonal);
    for (RunResult r : runs) {
      if (r.reliability().isEmpty()) {
        continue;
      }
      XYSeries s = new XYSeries(r.model() + " seed " + r.seed());
      for (double[] bin : r.reliability()) {
        s.add(bin[0], bin[1]);
      }
      series.addSeries(s);
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title,
            "mean prediction (decile)",
            "observed positive rate",
            series,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    renderer.setSeriesPaint(0, Color.GRAY);
    renderer.setSeriesShapesVisible(0, false);
    plain(chart, renderer);
    renderer.setSeriesStroke(0, new BasicStroke(1.0f)); // the diagonal, thinner than the runs
    ChartUtils.saveChartAsPNG(file.toFile(), chart, 800, 800);
  }

  /** The reports' look: a white plot, light grid lines, lines 1.6 pixels wide. */
  private static void plain(JFreeChart chart, XYLineAndShapeRenderer renderer) {
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    for (int i = 0; i < plot.getDataset().getSeriesCount(); i++) {
      renderer.setSeriesStroke(i, new BasicStroke(1.6f));
    }
    plot.setRenderer(renderer);
  }
}
