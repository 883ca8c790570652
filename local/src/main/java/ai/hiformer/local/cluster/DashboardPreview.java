package ai.hiformer.local.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;

/**
 * A picture of the Grafana dashboard ({@code dashboards/hiformer.json}) without Grafana: each panel
 * of the dashboard, at its grid position, drawn as a line chart of its own PromQL queries over a
 * time range of a real Prometheus. For the README and for runs where no Grafana is at hand; Grafana
 * draws the same queries. Time series panels only (the dashboard has no other kind).
 */
public final class DashboardPreview {
  /** What a panel showed: its title and the number of series its queries returned. */
  public record Drawn(String title, int series) {}

  /** Range queries, as {@link PrometheusServer#queryRange} answers them. */
  public interface RangeQuery {
    List<PrometheusServer.Series> range(String expr, Instant start, Instant end, Duration step)
        throws IOException, InterruptedException;
  }

  private static final int CELL_W = 64; // pixels per grid column (Grafana's grid: 24 columns)
  private static final int CELL_H = 30; // pixels per grid row
  private static final int HEADER = 44;
  private static final Color BACKGROUND = new Color(17, 18, 23);
  private static final Color PANEL = new Color(24, 27, 31);
  private static final Color TEXT = new Color(204, 204, 220);
  private static final Color DIM = new Color(120, 124, 138);
  private static final Color[] PALETTE = {
    new Color(115, 191, 105), new Color(242, 204, 12), new Color(87, 148, 242),
    new Color(255, 120, 10), new Color(242, 73, 92), new Color(184, 119, 217),
    new Color(112, 219, 237), new Color(250, 100, 0)
  };
  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

  private DashboardPreview() {}

  /**
   * Draws every panel of {@code dashboard} from {@code start} to {@code end} into {@code png}.
   *
   * @return each panel's title and its number of series, in the dashboard's order
   */
  public static List<Drawn> render(
      Path dashboard, RangeQuery prometheus, Instant start, Instant end, Path png)
      throws IOException, InterruptedException {
    JsonNode root = new ObjectMapper().readTree(dashboard.toFile());
    int rows = 0;
    for (JsonNode p : root.path("panels")) {
      rows =
          Math.max(rows, p.path("gridPos").path("y").asInt() + p.path("gridPos").path("h").asInt());
    }
    int width = 24 * CELL_W;
    BufferedImage image =
        new BufferedImage(width, HEADER + rows * CELL_H + 8, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(BACKGROUND);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
    g.setColor(TEXT);
    g.drawString(root.path("title").asText("dashboard"), 10, 22);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.setColor(DIM);
    g.drawString(
        String.format(
            "%s – %s UTC · each panel's own PromQL over a real Prometheus; drawn by hiformer, not Grafana",
            CLOCK.format(start), CLOCK.format(end)),
        10,
        38);
    Duration step = Duration.ofSeconds(Math.max(1, Duration.between(start, end).toSeconds() / 300));
    List<Drawn> drawn = new ArrayList<>();
    for (JsonNode p : root.path("panels")) {
      JsonNode pos = p.path("gridPos");
      int x = pos.path("x").asInt() * CELL_W + 4;
      int y = HEADER + pos.path("y").asInt() * CELL_H + 4;
      int w = pos.path("w").asInt() * CELL_W - 8;
      int h = pos.path("h").asInt() * CELL_H - 8;
      List<PrometheusServer.Series> series = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (JsonNode t : p.path("targets")) {
        for (PrometheusServer.Series s :
            prometheus.range(t.path("expr").asText(), start, end, step)) {
          series.add(s);
          names.add(name(s, t.path("legendFormat").asText("")));
        }
      }
      String unit = p.path("fieldConfig").path("defaults").path("unit").asText("none");
      panel(g, x, y, w, h, p.path("title").asText(), unit, series, names, start, end);
      drawn.add(new Drawn(p.path("title").asText(), series.size()));
    }
    g.dispose();
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(image, "png", png.toFile());
    return drawn;
  }

  private static void panel(
      Graphics2D g,
      int x,
      int y,
      int w,
      int h,
      String title,
      String unit,
      List<PrometheusServer.Series> series,
      List<String> names,
      Instant start,
      Instant end) {
    g.setColor(PANEL);
    g.fillRoundRect(x, y, w, h, 6, 6);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.setColor(TEXT);
    g.drawString(title, x + 10, y + 20);
    int left = x + 58;
    int right = x + w - 12;
    int top = y + 32;
    int bottom = y + h - 40;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (PrometheusServer.Series s : series) {
      for (double v : s.values()) {
        if (Double.isFinite(v)) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    if (min > max) {
      g.setColor(DIM);
      g.drawString("No data", x + w / 2 - 22, y + h / 2);
      return;
    }
    if (min >= 0 && !unit.equals("none")) {
      min = 0; // counts, rates, sizes and times from zero; ratios (AUC, NE) fit their range
    }
    if (max - min < 1e-9) { // a flat line: in the middle of a range around it (0 to 1 for zeros)
      double pad = min == 0 ? 1 : Math.abs(min) * 0.05;
      max = min + pad;
      min = min >= 0 && min - pad < 0 ? 0 : min - pad;
    }
    double t0 = start.getEpochSecond();
    double t1 = Math.max(t0 + 1, end.getEpochSecond());
    g.setColor(new Color(44, 48, 56));
    for (int i = 0; i <= 3; i++) {
      int gy = bottom - (bottom - top) * i / 3;
      g.drawLine(left, gy, right, gy);
      g.setColor(DIM);
      String label = format(min + (max - min) * i / 3, unit);
      g.drawString(label, left - 6 - g.getFontMetrics().stringWidth(label), gy + 4);
      g.setColor(new Color(44, 48, 56));
    }
    g.setColor(DIM);
    g.drawString(CLOCK.format(start), left, bottom + 14);
    String endLabel = CLOCK.format(end);
    g.drawString(endLabel, right - g.getFontMetrics().stringWidth(endLabel), bottom + 14);
    g.setStroke(new BasicStroke(1.6f));
    int legendX = x + 10;
    for (int i = 0; i < series.size(); i++) {
      PrometheusServer.Series s = series.get(i);
      g.setColor(PALETTE[i % PALETTE.length]);
      Path2D line = new Path2D.Double();
      boolean pen = false;
      for (int k = 0; k < s.times().length; k++) {
        double v = s.values()[k];
        if (!Double.isFinite(v)) {
          pen = false;
          continue;
        }
        double px = left + (right - left) * (s.times()[k] - t0) / (t1 - t0);
        double py = bottom - (bottom - top) * (v - min) / (max - min);
        if (pen) {
          line.lineTo(px, py);
        } else {
          line.moveTo(px, py);
          pen = true;
        }
      }
      g.draw(line);
      if (legendX < x + w - 60) {
        g.fillRect(legendX, y + h - 17, 12, 3);
        String name = names.get(i);
        g.drawString(name, legendX + 16, y + h - 12);
        legendX += 16 + g.getFontMetrics().stringWidth(name) + 14;
      }
    }
    g.setStroke(new BasicStroke(1f));
  }

  /**
   * A series' legend: Grafana's {{label}} template, else its labels' values by name, else "value".
   */
  static String name(PrometheusServer.Series s, String legendFormat) {
    if (!legendFormat.isBlank()) {
      String out = legendFormat;
      for (var e : s.labels().entrySet()) {
        out = out.replace("{{" + e.getKey() + "}}", e.getValue());
      }
      return out;
    }
    String values =
        new java.util.TreeMap<>(s.labels())
            .entrySet().stream()
                .filter(e -> !e.getKey().equals("__name__"))
                .map(e -> e.getValue())
                .collect(Collectors.joining(" "));
    return values.isBlank() ? "value" : values;
  }

  /** A value as the panel's unit shows it (Grafana's unit names). */
  static String format(double v, String unit) {
    return switch (unit) {
      case "ops" -> compact(v) + "/s";
      case "ms" -> compact(v) + " ms";
      case "bytes" -> bytes(v);
      case "none" -> String.format(Locale.ROOT, Math.abs(v) >= 10 ? "%.1f" : "%.3f", v);
      default -> compact(v);
    };
  }

  private static String compact(double v) {
    double a = Math.abs(v);
    if (a >= 1e6) {
      return String.format(Locale.ROOT, "%.1fM", v / 1e6);
    }
    if (a >= 1e3) {
      return String.format(Locale.ROOT, "%.1fk", v / 1e3);
    }
    return a >= 10 || a == 0
        ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String bytes(double v) {
    String[] units = {"B", "KB", "MB", "GB"};
    int u = 0;
    while (Math.abs(v) >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  }
}
