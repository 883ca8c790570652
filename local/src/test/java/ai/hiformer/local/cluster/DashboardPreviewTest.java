package ai.hiformer.local.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.SharedData;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DashboardPreviewTest {
  private static final Instant START = Instant.parse("2026-12-07T10:00:00Z");
  private static final Instant END = Instant.parse("2026-12-07T10:10:00Z");

  @TempDir Path dir;

  /** A ramp from 0 to 1,000 over the range, of one model. */
  private static PrometheusServer.Series ramp(String model) {
    int n = 61;
    double[] t = new double[n];
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      t[i] = START.getEpochSecond() + 10.0 * i;
      v[i] = 1000.0 * i / (n - 1);
    }
    return new PrometheusServer.Series(Map.of("model", model), t, v);
  }

  @Test
  void everyPanelIsDrawnWhereTheDashboardPlacesItAndEmptyOnesSaySo() throws Exception {
    Path png = dir.resolve("dashboard.png");
    List<DashboardPreview.Drawn> drawn =
        DashboardPreview.render(
            SharedData.repoFile("dashboards/hiformer.json"),
            (expr, start, end, step) ->
                expr.contains("progressiveAuc")
                    ? List.of(ramp("shop"), ramp("news"))
                    : expr.contains("versionsHeldBack") ? List.of() : List.of(ramp("shop")),
            START,
            END,
            png);

    assertThat(drawn).hasSize(14);
    assertThat(drawn.get(0)).isEqualTo(new DashboardPreview.Drawn("Events accepted / s", 1));
    assertThat(drawn).contains(new DashboardPreview.Drawn("Progressive AUC", 2));
    assertThat(drawn).contains(new DashboardPreview.Drawn("Versions held back", 0));
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(24 * 64);
    // The first panel (grid x 0-8, y 0-8) carries its first series' colour; the held-back panel
    // (grid x 0-8, y 24-32) has no line in it.
    assertThat(colouredPixels(image, 0, 44, 8 * 64, 44 + 8 * 30)).isGreaterThan(100);
    assertThat(colouredPixels(image, 0, 44 + 24 * 30, 8 * 64, 44 + 32 * 30)).isZero();
  }

  @Test
  void legendsAndValuesReadAsGrafanaWouldShowThem() {
    PrometheusServer.Series s =
        new PrometheusServer.Series(
            Map.of("model", "shop", "task", "click"), new double[0], new double[0]);
    assertThat(DashboardPreview.name(s, "{{model}} / {{task}}")).isEqualTo("shop / click");
    assertThat(DashboardPreview.name(s, "")).isEqualTo("shop click");
    assertThat(DashboardPreview.format(2500, "ops")).isEqualTo("2.5k/s");
    assertThat(DashboardPreview.format(3 * 1024 * 1024, "bytes")).isEqualTo("3.0 MB");
    assertThat(DashboardPreview.format(0.7123, "none")).isEqualTo("0.712");
    assertThat(DashboardPreview.format(12, "ms")).isEqualTo("12 ms");
  }

  @Test
  void prometheusSampleValuesIncludingInfinitiesAreRead() {
    assertThat(PrometheusServer.number("0.25")).isEqualTo(0.25);
    assertThat(PrometheusServer.number("+Inf")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(PrometheusServer.number("-Inf")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(PrometheusServer.number("NaN")).isNaN();
  }

  @Test
  void aRangeEndsNoEarlierThanTheInstantAskedFor() {
    // A range query's last point is its end; rounded down, it could precede an instant query that
    // had just found data, and a series that had only begun would draw nothing.
    assertThat(PrometheusServer.wholeSecondAtOrAfter(Instant.ofEpochSecond(100, 1))).isEqualTo(101);
    assertThat(PrometheusServer.wholeSecondAtOrAfter(Instant.ofEpochSecond(100, 999_999_999)))
        .isEqualTo(101);
    assertThat(PrometheusServer.wholeSecondAtOrAfter(Instant.ofEpochSecond(100))).isEqualTo(100);
  }

  /** Pixels of the first series' colour (green) in a rectangle. */
  private static int colouredPixels(BufferedImage image, int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        int rgb = image.getRGB(x, y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (g > 150 && r < 150 && b < 130) {
          n++;
        }
      }
    }
    return n;
  }
}
