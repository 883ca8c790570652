package ai.hiformer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DelayedEvaluationTest {
  @TempDir Path dir;

  /** A small generated stream (users × items, a click rate per pair), one event a minute. */
  private Path data() throws Exception {
    SplittableRandom r = new SplittableRandom(11);
    double[] a = r.doubles(20, -1, 1).toArray();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 3000; i++) {
      int u = r.nextInt(20);
      int item = r.nextInt(10);
      double p = 1 / (1 + Math.exp(-(a[u] + 0.2 * item - 1)));
      sb.append(
          String.format(
              "{\"user\": \"u%d\", \"item\": \"i%d\", \"ts\": %d, \"click\": %d}%n",
              u, item, 1_700_000_000L + 60L * i, r.nextDouble() < p ? 1 : 0));
    }
    Path file = dir.resolve("events.jsonl");
    Files.writeString(file, sb);
    Files.writeString(
        dir.resolve("spec.json"),
        "{\"format\": \"jsonl\", \"tasks\": [{\"name\": \"click\"}], \"fields\": ["
            + "{\"name\": \"user\", \"kind\": \"categorical\"},"
            + "{\"name\": \"item\", \"kind\": \"categorical\"},"
            + "{\"name\": \"hour\", \"kind\": \"time\", \"column\": \"ts\"}]}");
    return file;
  }

  private static int run(String... args) {
    PrintStream out = System.out;
    try {
      System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      return Main.run(args);
    } finally {
      System.setOut(out);
    }
  }

  @Test
  void everyModeAndSeedIsWrittenWithTheShareOfTheGapItRecovers() throws Exception {
    Path data = data();
    Path out = dir.resolve("out");
    int code =
        run(
            "evaluate",
            "--data",
            data.toString(),
            "--spec",
            dir.resolve("spec.json").toString(),
            "--model",
            "lr",
            "--seeds",
            "0,1",
            "--label-delay",
            "exp:1h",
            "--out",
            out.toString());
    assertThat(code).isZero();
    JsonNode root = new ObjectMapper().readTree(out.resolve("delayed.json").toFile());
    assertThat(root.path("join_window_ms").asLong()).isEqualTo(3_600_000L);
    assertThat(root.path("attribution_window_ms").asLong()).isEqualTo(30 * 3_600_000L);
    assertThat(root.path("summaries")).hasSize(5);
    for (JsonNode g : root.path("summaries")) {
      String mode = g.path("mode").asText();
      double recovered = g.path("gap_recovered_mean").asDouble();
      switch (mode) {
        case "window" -> assertThat(recovered).isZero();
        case "oracle" -> assertThat(recovered).isEqualTo(1.0);
        // Fake negatives learn a positive twice: all of them, or those after the window.
        default -> assertThat(g.path("training_events").path("min").asDouble()).isGreaterThan(3000);
      }
      assertThat(g.path("late_share").path("mean").asDouble()).isBetween(0.25, 0.5);
    }
    // A header and one row per mode and seed.
    assertThat(Files.readAllLines(out.resolve("delayed.csv"))).hasSize(1 + 5 * 2);
  }

  @Test
  void durationsNeedAUnitAndBadOnesNameTheirFlag() {
    assertThat(DelayedEvaluation.durationMillis("join-window", "90m")).isEqualTo(5_400_000L);
    assertThat(DelayedEvaluation.durationMillis("join-window", "250ms")).isEqualTo(250L);
    assertThat(DelayedEvaluation.durationMillis("join-window", "2d")).isEqualTo(172_800_000L);
    assertThatThrownBy(() -> DelayedEvaluation.durationMillis("join-window", "90"))
        .hasMessageContaining("--join-window")
        .hasMessageContaining("ms, s, m, h or d");
    assertThatThrownBy(() -> DelayedEvaluation.durationMillis("label-delay", "-1h"))
        .hasMessageContaining("--label-delay");
  }
}
