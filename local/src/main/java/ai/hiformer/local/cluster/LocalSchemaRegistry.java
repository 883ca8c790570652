package ai.hiformer.local.cluster;

import ai.hiformer.local.ProjectRoot;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;

/**
 * A real schema registry (Apicurio Registry, in-memory storage) as a child JVM on loopback, built
 * by the {@code registry} module. Its Confluent-compatible API is at {@link #url()}: what a user's
 * Confluent serializers and the job's {@code schema-registry.url} point at. For tests and local
 * runs; a deployment uses the registry its producers already use.
 */
public final class LocalSchemaRegistry implements AutoCloseable {
  /** Where the registry module puts its runnable jar (its libraries beside it in lib/). */
  public static final String RUNNER = "registry/target/schema-registry-runner.jar";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final int port;
  private final HttpClient http = HttpClient.newHttpClient();

  private LocalSchemaRegistry(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts the registry, its output in {@code log}, and waits until it answers (a few seconds).
   *
   * @throws IOException if the runner jar is missing (build it: {@code mvn -pl registry
   *     process-classes}) or the registry does not answer within 90 s
   */
  public static LocalSchemaRegistry start(Path log) throws IOException, InterruptedException {
    Path jar = runnerJar();
    if (!Files.isRegularFile(jar)) {
      throw new IOException(
          "no schema registry build at "
              + jar
              + "; build it with: mvn -pl registry process-classes (-Dhiformer.registry.jar=PATH to"
              + " use another)");
    }
    int port = Processes.freeLoopbackPort();
    Files.createDirectories(log.toAbsolutePath().getParent());
    Process p =
        new ProcessBuilder(
                Processes.javaCommand(
                    List.of(
                        "-Xmx256m",
                        "-Dquarkus.http.host=127.0.0.1",
                        "-Dquarkus.http.port=" + port,
                        "-jar",
                        jar.toString())))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    LocalSchemaRegistry registry = new LocalSchemaRegistry(p, port);
    try {
      registry.awaitReady(Duration.ofSeconds(90), log);
    } catch (IOException | InterruptedException | RuntimeException e) {
      registry.close();
      throw e;
    }
    return registry;
  }

  /** The runnable jar: {@code -Dhiformer.registry.jar}, else {@link #RUNNER} under the project. */
  public static Path runnerJar() {
    String configured = System.getProperty("hiformer.registry.jar");
    return configured != null && !configured.isBlank()
        ? Paths.get(configured).toAbsolutePath()
        : ProjectRoot.resolve(RUNNER);
  }

  /**
   * The Confluent-compatible API's base URL, e.g. {@code http://127.0.0.1:41234/apis/ccompat/v6}.
   */
  public String url() {
    return "http://127.0.0.1:" + port + "/apis/ccompat/v6";
  }

  /**
   * Registers an Avro schema under {@code subject} (for example {@code events-value}), as a
   * Confluent serializer does on its first record, and returns its id: the four bytes after the
   * magic byte of every record written with it.
   */
  public int register(String subject, String avroSchema) throws IOException, InterruptedException {
    String body = JSON.writeValueAsString(java.util.Map.of("schema", avroSchema));
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url() + "/subjects/" + subject + "/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(
          "registering a schema under " + subject + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body()).get("id").asInt();
  }

  private void awaitReady(Duration timeout, Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    URI subjects = URI.create(url() + "/subjects");
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("the schema registry exited during start-up; see " + log);
      }
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(subjects).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IOException(
        "the schema registry did not answer within " + timeout.toSeconds() + " s; see " + log);
  }

  @Override
  public void close() throws IOException {
    try {
      Processes.terminate(process.toHandle(), Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
