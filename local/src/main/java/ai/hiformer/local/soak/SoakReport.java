package ai.hiformer.local.soak;

import ai.hiformer.learner.Metrics;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A soak's samples and the check over them: after the level at {@code baselineMinute} (the state
 * has filled by then: the vocabulary is at capacity and evicts as fast as new ids arrive), every
 * later sample of each {@link SoakSample.Bounded} figure must stay within {@code bound} (a
 * fraction) of that level.
 *
 * <p>JSON keys ({@link #toJson}): {@code minutes}, {@code rate}, {@code baseline_minute}, {@code
 * bound}; per figure ({@code heap_after_gc}, {@code rocksdb_disk}, {@code checkpoint_size}, {@code
 * threads}, {@code file_descriptors}): {@code baseline}, {@code min}, {@code max}, {@code
 * max_deviation} (the largest |x / baseline − 1| after the baseline minute), {@code within}, and
 * {@code drift} ({@link #drift}: the last 10 minutes' median against minutes 8–12's), {@code
 * level_max_deviation} and {@code level_within} ({@link #levelDeviation}: 5-minute medians against
 * the median of minutes 8–12); {@code passed} (every figure within, sample by sample) and {@code
 * levels_passed} (every figure's levels within).
 *
 * @param samples one per minute, in order
 * @param rate events per second the soak sent
 * @param baselineMinute the minute whose level later samples are held to
 * @param bound the largest relative deviation allowed
 */
public record SoakReport(List<SoakSample> samples, int rate, int baselineMinute, double bound) {

  /** The sample of the baseline minute; fails if the soak did not last that long. */
  public SoakSample baseline() {
    return samples.stream()
        .filter(s -> s.minute() == baselineMinute)
        .findFirst()
        .orElseThrow(
            () -> new IllegalStateException("the soak ended before minute " + baselineMinute));
  }

  /** The largest |x / baseline − 1| of {@code figure} after the baseline minute. */
  public double maxDeviation(SoakSample.Bounded figure) {
    double base = figure.of(baseline());
    double worst = 0;
    for (SoakSample s : samples) {
      if (s.minute() > baselineMinute) {
        worst = Math.max(worst, Math.abs(figure.of(s) / base - 1));
      }
    }
    return worst;
  }

  /**
   * How far {@code figure} drifted over the run: the median of its last 10 samples against the
   * median of minutes baseline − 2 .. baseline + 2, less 1. A figure that only swings (RocksDB's
   * files between compactions, the heap between collections of its old regions) stays near 0 where
   * a leak grows; a single sample at the baseline minute can land on either end of a swing.
   */
  public double drift(SoakSample.Bounded figure) {
    double[] last =
        samples.subList(Math.max(0, samples.size() - 10), samples.size()).stream()
            .mapToDouble(figure::of)
            .toArray();
    return last.length == 0
        ? Double.NaN
        : Metrics.median(last) / levelAt(figure, baselineMinute) - 1;
  }

  /**
   * The largest |level / level at the baseline − 1| after the baseline minute, where a minute's
   * level is the median of the 5 samples centred on it (minutes m − 2 .. m + 2; those near the end
   * take what there is). The per-sample check ({@link #maxDeviation}) holds a figure that swings
   * (RocksDB's files between compactions, the heap between collections of old regions) to a single
   * sample at the baseline minute, which can land on either end of the swing; a level moves only
   * when the figure does, as a leak makes it.
   */
  public double levelDeviation(SoakSample.Bounded figure) {
    double base = levelAt(figure, baselineMinute);
    double worst = 0;
    for (SoakSample s : samples) {
      if (s.minute() > baselineMinute) {
        worst = Math.max(worst, Math.abs(levelAt(figure, s.minute()) / base - 1));
      }
    }
    return worst;
  }

  /** The median of the samples of minutes {@code minute} ± 2; NaN when there are none. */
  private double levelAt(SoakSample.Bounded figure, int minute) {
    double[] window =
        samples.stream()
            .filter(s -> Math.abs(s.minute() - minute) <= 2)
            .mapToDouble(figure::of)
            .toArray();
    return window.length == 0 ? Double.NaN : Metrics.median(window);
  }

  /** Whether every figure's levels ({@link #levelDeviation}) stay within the bound. */
  public boolean levelsPassed() {
    return SoakSample.Bounded.all().stream().allMatch(f -> levelDeviation(f) <= bound);
  }

  /** Reads the samples a soak wrote ({@link #writeCsv}) back. */
  public static List<SoakSample> readCsv(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    if (lines.isEmpty() || !lines.get(0).equals(SoakSample.CSV_HEADER)) {
      throw new IOException(file + " is not a soak's CSV (header " + SoakSample.CSV_HEADER + ")");
    }
    List<SoakSample> out = new java.util.ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      out.add(
          new SoakSample(
              Integer.parseInt(f[0]),
              Long.parseLong(f[1]),
              Double.parseDouble(f[2]),
              Double.parseDouble(f[3]),
              Long.parseLong(f[4]),
              Long.parseLong(f[5]),
              Double.parseDouble(f[6]),
              Double.parseDouble(f[7]),
              Double.parseDouble(f[8]),
              Long.parseLong(f[9])));
    }
    return out;
  }

  public boolean passed() {
    return SoakSample.Bounded.all().stream().allMatch(f -> maxDeviation(f) <= bound);
  }

  public ObjectNode toJson() {
    ObjectNode root = new ObjectMapper().createObjectNode();
    root.put("minutes", samples.isEmpty() ? 0 : samples.get(samples.size() - 1).minute());
    root.put("rate", rate);
    root.put("baseline_minute", baselineMinute);
    root.put("bound", bound);
    for (SoakSample.Bounded f : SoakSample.Bounded.all()) {
      ObjectNode o = root.putObject(f.name().toLowerCase(Locale.ROOT));
      o.put("baseline", f.of(baseline()));
      o.put("min", samples.stream().mapToDouble(f::of).min().orElse(Double.NaN));
      o.put("max", samples.stream().mapToDouble(f::of).max().orElse(Double.NaN));
      o.put("max_deviation", maxDeviation(f));
      o.put("drift", drift(f));
      o.put("within", maxDeviation(f) <= bound);
      o.put("level_max_deviation", levelDeviation(f));
      o.put("level_within", levelDeviation(f) <= bound);
    }
    root.put("passed", passed());
    root.put("levels_passed", levelsPassed());
    return root;
  }

  public String summary() {
    StringBuilder b =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "soak: %d minutes at %d events/s; each figure after minute %d against its level"
                    + " then (bound ±%.0f %%)%n",
                samples.get(samples.size() - 1).minute(),
                rate,
                baselineMinute,
                bound * 100));
    for (SoakSample.Bounded f : SoakSample.Bounded.all()) {
      b.append(
          String.format(
              Locale.ROOT,
              "  %-30s at minute %d %8.1f, max deviation %5.1f %% (5-minute levels %5.1f %%),"
                  + " drift %+5.1f %%  %s%n",
              f.label(),
              baselineMinute,
              f.of(baseline()),
              maxDeviation(f) * 100,
              levelDeviation(f) * 100,
              drift(f) * 100,
              maxDeviation(f) <= bound ? "ok" : "OUT OF BOUND"));
    }
    b.append(passed() ? "  PASSED\n" : "  FAILED (sample by sample)\n");
    b.append(
        levelsPassed()
            ? "  5-minute levels within the bound\n"
            : "  5-minute levels out of the bound\n");
    return b.toString();
  }

  /** Writes the samples as CSV ({@link SoakSample#CSV_HEADER}). */
  public void writeCsv(Path file) throws IOException {
    StringBuilder b = new StringBuilder(SoakSample.CSV_HEADER).append('\n');
    for (SoakSample s : samples) {
      b.append(s.csv()).append('\n');
    }
    Files.writeString(file, b);
  }

  /**
   * Writes a plot (SVG): each bounded figure over time as a fraction of its level at the baseline
   * minute, with the bound as a band.
   */
  public void writePlot(Path file) throws IOException {
    int w = 760;
    int h = 360;
    int left = 60;
    int right = 190;
    int top = 30;
    int bottom = 40;
    double lo = 1 - 3 * bound;
    double hi = 1 + 3 * bound;
    int last = samples.get(samples.size() - 1).minute();
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n",
            w,
            h));
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"18\">Soak at %d events/s: each figure / its level at minute %d"
                + " (band: ±%.0f %%)</text>%n",
            left,
            rate,
            baselineMinute,
            bound * 100));
    double plotW = w - left - right;
    double plotH = h - top - bottom;
    java.util.function.DoubleUnaryOperator x = m -> left + plotW * m / Math.max(1, last);
    java.util.function.DoubleUnaryOperator y =
        v -> top + plotH * (1 - (Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo));
    svg.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#e8f4e8\"/>%n",
            x.applyAsDouble(baselineMinute),
            y.applyAsDouble(1 + bound),
            x.applyAsDouble(last) - x.applyAsDouble(baselineMinute),
            y.applyAsDouble(1 - bound) - y.applyAsDouble(1 + bound)));
    for (double v : new double[] {lo, 1 - bound, 1, 1 + bound, hi}) {
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>"
                  + "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ccc\"/>%n",
              left - 6,
              y.applyAsDouble(v) + 4,
              v,
              left,
              left + plotW,
              y.applyAsDouble(v),
              y.applyAsDouble(v)));
    }
    for (int m = 0; m <= last; m += 10) {
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d min</text>%n",
              x.applyAsDouble(m),
              h - bottom + 18,
              m));
    }
    String[] colours = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"};
    int i = 0;
    double base;
    for (SoakSample.Bounded f : SoakSample.Bounded.all()) {
      base = f.of(baseline());
      StringBuilder points = new StringBuilder();
      for (SoakSample s : samples) {
        points.append(
            String.format(
                Locale.ROOT,
                "%.1f,%.1f ",
                x.applyAsDouble(s.minute()),
                y.applyAsDouble(f.of(s) / base)));
      }
      String colour = colours[i % colours.length];
      svg.append(
          String.format(
              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n",
              colour, points.toString().trim()));
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s</text>%n",
              left + plotW + 10,
              top + 16 * (i + 1),
              colour,
              f.label()));
      i++;
    }
    svg.append("</svg>\n");
    Files.writeString(file, svg);
  }
}
