package ai.hiformer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.jobs.stream.JobConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml runs what the build builds: its images carry the build's Flink, Kafka and Java
 * versions, the job it submits exists with the keys it passes, and the files it mounts are in the
 * repository. (CI also lints the file with docker-compose; this machine has no Docker engine to run
 * it.)
 */
class ComposeFileTest {
  private static final Path COMPOSE = Paths.get("../docker-compose.yml");
  private static final Pattern IMAGE =
      Pattern.compile("^\\s*image:\\s*(\\S+)\\s*$", Pattern.MULTILINE);

  private static String compose() throws IOException {
    return Files.readString(COMPOSE);
  }

  private static List<String> images() throws IOException {
    List<String> out = new ArrayList<>();
    Matcher m = IMAGE.matcher(compose());
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  private static String build(String key) {
    String v = System.getProperty("hiformer.build." + key);
    assertThat(v).as("system property hiformer.build.%s (set by the build)", key).isNotBlank();
    return v;
  }

  @Test
  void everyImageIsPinnedToTheBuildsVersions() throws IOException {
    List<String> images = images();
    assertThat(images).as("images").isNotEmpty();
    String java = build("java.release");
    for (String image : images) {
      assertThat(image).as("a pinned tag").contains(":").doesNotEndWith(":latest");
      String name = image.substring(0, image.indexOf(':'));
      String tag = image.substring(image.indexOf(':') + 1);
      switch (name) {
        case "flink" ->
            assertThat(tag)
                .as(image)
                .startsWith(build("flink.version") + "-")
                .endsWith("-java" + java);
        case "apache/kafka" -> assertThat(tag).as(image).isEqualTo(build("kafka.version"));
        case "eclipse-temurin" -> assertThat(tag).as(image).startsWith(java + "-");
        // The Prometheus the dashboard test runs (Debian's 2.42), and a Grafana that reads the
        // dashboard's schema
        case "prom/prometheus" -> assertThat(tag).as(image).isEqualTo("v2.42.0");
        case "grafana/grafana" -> assertThat(tag).as(image).startsWith("11.");
        // ZooKeeper for JobManager HA (profile ha): a 3.8 server serves Flink's 3.7 client
        case "zookeeper" -> assertThat(tag).as(image).startsWith("3.8.");
        default -> throw new AssertionError("an image the build does not pin: " + image);
      }
    }
    assertThat(images)
        .anyMatch(i -> i.startsWith("flink:"))
        .anyMatch(i -> i.startsWith("apache/kafka:"));
  }

  @Test
  void theSubmittedJobAndItsKeysExist() throws Exception {
    String c = compose();
    Matcher main =
        Pattern.compile("-c (\\S+) /opt/hiformer/jobs/hiformer-jobs-flink.jar").matcher(c);
    assertThat(main.find()).as("flink run -c <main class> <job jar>").isTrue();
    assertThat(Class.forName(main.group(1)).getMethod("main", String[].class)).isNotNull();
    Matcher key = Pattern.compile("\\s--([a-z.-]+)=").matcher(c.substring(main.end()));
    int keys = 0;
    while (key.find()) {
      assertThat(JobConfigLoader.KEYS)
          .as("job key --%s in docker-compose.yml", key.group(1))
          .contains(key.group(1));
      keys++;
    }
    assertThat(keys).isGreaterThanOrEqualTo(5);
  }

  @Test
  void everyPublishedPortListensOnLoopbackUnlessToldOtherwise() throws IOException {
    Matcher ports = Pattern.compile("\n\\s+ports:\n((?:\\s+- .*\n)+)").matcher(compose());
    int n = 0;
    while (ports.find()) {
      for (String line : ports.group(1).strip().split("\n")) {
        assertThat(line.strip())
            .as("published port")
            .startsWith("- \"${HIFORMER_PUBLISH_ADDRESS:-127.0.0.1}:");
        n++;
      }
    }
    // Kafka, Flink's UI (and the standby JobManager's, profile ha), the server, Grafana
    assertThat(n).as("published ports").isEqualTo(5);
  }

  @Test
  void everyMountedRepositoryPathExists() throws IOException {
    Matcher m = Pattern.compile("-\\s+\\./([\\w./-]+):").matcher(compose());
    int n = 0;
    while (m.find()) {
      String path = m.group(1);
      // jobs/target and cli/target are what `mvn package` builds; the rest is checked in.
      if (!path.startsWith("jobs/target") && !path.startsWith("cli/target")) {
        assertThat(Paths.get("..", path)).as("mounted ./%s", path).exists();
      }
      n++;
    }
    assertThat(n).isGreaterThanOrEqualTo(3);
    for (String spec : List.of("synthetic", "movielens")) {
      assertThat(Paths.get("../specs", spec + ".json")).exists();
    }
  }
}
