package ai.hiformer.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Python client of clients/python writes events the job reads, and reads the scores the job
 * writes. Runs Debian's python3 with its avro package (python3-avro, which .ci/run installs); says
 * so and skips where it is absent.
 */
class PythonClientTest {
  private static final Path SCRIPT = Path.of("../clients/python/hiformer_wire.py");
  private static final String PYTHON = "/usr/bin/python3";

  @BeforeAll
  static void needsPythonWithAvro() throws Exception {
    boolean available =
        Files.isExecutable(Path.of(PYTHON))
            && run(List.of(PYTHON, "-c", "import avro.io"), "") != null;
    assumeTrue(
        available,
        "skipped: "
            + PYTHON
            + " with the avro package is absent (Debian: apt-get install python3-avro)");
  }

  @Test
  void eventsWrittenInPythonDecodeAsTheJobDecodesThem() throws Exception {
    String out = run(List.of(PYTHON, SCRIPT.toString(), "encode-events", "4"), "");
    List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).hasSize(4);
    WireFormat events = WireFormat.of("event");
    for (int i = 0; i < lines.size(); i++) {
      byte[] bytes = HexFormat.of().parseHex(lines.get(i));
      assertThat(events.check(bytes)).as("line %d", i).isNull();
      Event e = WireCodec.events().decode(bytes);
      assertThat(e.getRequestId()).isEqualTo("py-" + i);
      assertThat(e.getEventTime()).isEqualTo(Instant.parse("2026-12-06T00:00:00Z").plusSeconds(i));
      assertThat(e.getCategorical()).containsEntry("user_id", "u" + i % 7);
      assertThat(e.getNumeric()).containsEntry("age", 20.0 + i);
    }
  }

  @Test
  void scoresWrittenByTheJobDecodeInPython() throws Exception {
    List<Score> scores = new ArrayList<>();
    StringBuilder in = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      Score s =
          Score.newBuilder()
              .setRequestId("r" + i)
              .setModelId("movielens")
              .setModelVersion(40L + i)
              .setScores(Map.of("like", 0.25 * (i + 1)))
              .setEventTime(Instant.ofEpochMilli(1_765_000_000_000L + i))
              .setScoringTime(Instant.ofEpochMilli(1_765_000_000_007L + i))
              .build();
      scores.add(s);
      in.append(HexFormat.of().formatHex(WireCodec.scores().encode(s))).append('\n');
    }
    String out = run(List.of(PYTHON, SCRIPT.toString(), "decode-scores"), in.toString());
    List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).hasSize(3);
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < 3; i++) {
      JsonNode n = json.readTree(lines.get(i));
      Score s = scores.get(i);
      assertThat(n.get("requestId").asText()).isEqualTo(s.getRequestId());
      assertThat(n.get("modelVersion").asLong()).isEqualTo(s.getModelVersion());
      assertThat(n.get("scores").get("like").asDouble()).isEqualTo(s.getScores().get("like"));
      assertThat(n.get("eventTime").asLong()).isEqualTo(s.getEventTime().toEpochMilli());
      assertThat(n.get("scoringTime").asLong()).isEqualTo(s.getScoringTime().toEpochMilli());
    }
  }

  /** The command's standard output, or null when it failed or could not start. */
  private static String run(List<String> command, String stdin) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    } catch (IOException e) {
      return null;
    }
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return null;
    }
    return p.exitValue() == 0 ? out : null;
  }
}
