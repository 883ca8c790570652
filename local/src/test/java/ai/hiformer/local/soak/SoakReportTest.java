package ai.hiformer.local.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The soak's check: every figure after minute 10 within 10 % of its level then. */
class SoakReportTest {
  @TempDir Path tmp;

  /** Minutes 1..n with heap {@code heap(minute)} and the other figures flat. */
  private static List<SoakSample> samples(int n, java.util.function.IntToDoubleFunction heap) {
    List<SoakSample> out = new ArrayList<>();
    for (int m = 1; m <= n; m++) {
      out.add(
          new SoakSample(m, 60_000L * m, heap.applyAsDouble(m), 80, 400, 900, 120, 30, 200, 150));
    }
    return out;
  }

  @Test
  void flatAfterTheBaselinePassesAndGrowthBeyondTheBoundFails() throws Exception {
    // Growing until minute 10 (the state filling) is allowed; only later samples are held.
    SoakReport flat =
        new SoakReport(samples(60, m -> m < 10 ? 50 * m : 500 + (m % 3)), 1000, 10, 0.10);
    assertThat(flat.passed()).isTrue();
    assertThat(flat.maxDeviation(SoakSample.Bounded.HEAP_AFTER_GC)).isLessThan(0.01);
    SoakReport leak = new SoakReport(samples(60, m -> 500 + 2.0 * m), 1000, 10, 0.10);
    // 500 + 120 at minute 60 against 520 at minute 10: +19 %
    assertThat(leak.maxDeviation(SoakSample.Bounded.HEAP_AFTER_GC)).isBetween(0.19, 0.20);
    assertThat(leak.passed()).isFalse();
    assertThat(leak.summary()).contains("OUT OF BOUND").contains("FAILED");
    assertThat(leak.toJson().at("/heap_after_gc/within").asBoolean()).isFalse();
    assertThat(leak.toJson().at("/threads/within").asBoolean()).isTrue();
  }

  @Test
  void driftSeesGrowthButNotASwing() {
    // A sawtooth between 100 and 140 (a compaction every 4 minutes) with the baseline on a trough.
    SoakReport swing = new SoakReport(samples(60, m -> 100 + 10 * (m % 4)), 1000, 8, 0.10);
    assertThat(swing.maxDeviation(SoakSample.Bounded.HEAP_AFTER_GC)).isGreaterThan(0.25);
    assertThat(Math.abs(swing.drift(SoakSample.Bounded.HEAP_AFTER_GC))).isLessThan(0.05);
    SoakReport leak = new SoakReport(samples(60, m -> 500 + 2.0 * m), 1000, 10, 0.10);
    assertThat(leak.drift(SoakSample.Bounded.HEAP_AFTER_GC)).isGreaterThan(0.15);
  }

  @Test
  void fiveMinuteLevelsHoldASwingToItsLevelAndStillSeeALeak() {
    // The sawtooth above: every sample is 100-130, its 5-minute medians 110-120.
    SoakReport swing = new SoakReport(samples(60, m -> 100 + 10 * (m % 4)), 1000, 8, 0.10);
    assertThat(swing.passed()).isFalse();
    assertThat(swing.levelDeviation(SoakSample.Bounded.HEAP_AFTER_GC)).isLessThan(0.10);
    assertThat(swing.levelsPassed()).isTrue();
    assertThat(swing.toJson().at("/levels_passed").asBoolean()).isTrue();
    // A slow leak under the same swing: +1 a minute is +50 over the last 50 minutes.
    SoakReport leak = new SoakReport(samples(60, m -> 100 + 10 * (m % 4) + m), 1000, 10, 0.10);
    assertThat(leak.levelDeviation(SoakSample.Bounded.HEAP_AFTER_GC)).isGreaterThan(0.3);
    assertThat(leak.levelsPassed()).isFalse();
    assertThat(leak.summary()).contains("5-minute levels out of the bound");
  }

  @Test
  void writesOneCsvRowPerMinuteAndAPlotOfEveryFigure() throws Exception {
    SoakReport r = new SoakReport(samples(15, m -> 500), 1000, 10, 0.10);
    r.writeCsv(tmp.resolve("soak.csv"));
    List<String> lines = Files.readAllLines(tmp.resolve("soak.csv"));
    assertThat(lines).hasSize(16);
    assertThat(lines.get(0)).isEqualTo(SoakSample.CSV_HEADER);
    assertThat(lines.get(15).split(",")).hasSize(SoakSample.CSV_HEADER.split(",").length);
    assertThat(SoakReport.readCsv(tmp.resolve("soak.csv"))).isEqualTo(r.samples());
    r.writePlot(tmp.resolve("soak.svg"));
    String svg = Files.readString(tmp.resolve("soak.svg"));
    assertThat(svg).startsWith("<svg").endsWith("</svg>\n");
    assertThat(svg.split("<polyline", -1)).hasSize(SoakSample.Bounded.values().length + 1);
  }
}
