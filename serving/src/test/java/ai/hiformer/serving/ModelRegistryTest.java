package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.snapshot.ModelSnapshot;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelRegistryTest {
  @TempDir Path root;

  private static Map<String, Double> score(ModelRegistry r, int event) throws Exception {
    return r.model("m")
        .orElseThrow()
        .score(JsonLinesReader.of(new ObjectMapper().readTree(Snapshots.features(event)), "t"));
  }

  @Test
  void theNewestCompleteVersionIsServedAndSwappedInOnRefresh() throws Exception {
    Snapshots s = new Snapshots();
    ModelRegistry r = s.servedRegistry(root, 2);
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(1);
    Map<String, Double> v1 = score(r, 5);
    s.nextVersion(root);
    Files.createDirectories(
        root.resolve("m").resolve(".tmp-v000000000099-123")); // a write in progress is ignored
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(2);
    assertThat(score(r, 5).get("click")).isNotEqualTo(v1.get("click"));
    assertThat(r.rejections()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"truncated", "wrong checksum", "unknown format version", "partial"})
  void aDamagedSnapshotIsRejectedWithAReasonAndTheOldModelKeepsServing(String damage)
      throws Exception {
    Snapshots s = new Snapshots();
    ModelRegistry r = s.servedRegistry(root, 1);
    Map<String, Double> before = score(r, 3);
    Path bad = s.nextVersion(root);
    ObjectMapper json = new ObjectMapper();
    switch (damage) {
      case "truncated" -> {
        byte[] b = Files.readAllBytes(bad.resolve("learner.bin"));
        Files.write(bad.resolve("learner.bin"), java.util.Arrays.copyOf(b, b.length / 3));
      }
      case "wrong checksum" -> {
        ObjectNode m = (ObjectNode) json.readTree(bad.resolve(ModelSnapshot.MANIFEST).toFile());
        ((ObjectNode) m.get("files")).put("encoder.bin", "00".repeat(32));
        ModelSnapshot.writeManifest(
            bad, m); // the manifest's own checksum is right: the file's is not
      }
      case "unknown format version" -> {
        ObjectNode m = (ObjectNode) json.readTree(bad.resolve(ModelSnapshot.MANIFEST).toFile());
        m.put("format_version", 99);
        ModelSnapshot.writeManifest(bad, m);
      }
      default -> Files.delete(bad.resolve(ModelSnapshot.MANIFEST));
    }
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).as("still serving").isEqualTo(1);
    assertThat(score(r, 3)).isEqualTo(before);
    assertThat(r.rejections()).isEqualTo(1);
    String reason = r.rejectionReasons().get(bad);
    assertThat(reason)
        .contains(
            switch (damage) {
              case "truncated", "wrong checksum" -> "checksum mismatch";
              case "unknown format version" ->
                  "snapshot format v99 is not supported by this version (it reads v1 to v2)";
              default -> "no manifest.json";
            });
    r.refresh(); // a rejected snapshot is not retried while its files stay as they are
    assertThat(r.rejections()).isEqualTo(1);
    s.nextVersion(root); // and a good newer one is taken
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(3);
  }

  @Test
  void aVersionCaughtHalfWrittenIsLoadedOnceItsFilesAreComplete() throws Exception {
    Snapshots s = new Snapshots();
    ModelRegistry r = s.servedRegistry(root, 1);
    // A copy (rsync, cp, a network file system) caught before learner.bin arrived in full.
    Path v2 = s.nextVersion(root);
    byte[] learner = Files.readAllBytes(v2.resolve("learner.bin"));
    Files.write(v2.resolve("learner.bin"), java.util.Arrays.copyOf(learner, learner.length / 2));
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(1);
    assertThat(r.rejections()).isEqualTo(1);
    Files.write(v2.resolve("learner.bin"), learner); // the copy completes
    r.refresh();
    assertThat(r.model("m").orElseThrow().version())
        .as("retried once its files changed")
        .isEqualTo(2);
    assertThat(r.rejectionReasons()).doesNotContainKey(v2);
  }

  @Test
  void aStrayV9BesideV10DoesNotBlockNewerVersions() throws Exception {
    Snapshots s = new Snapshots();
    for (int i = 0; i < 8; i++) {
      s.train();
    }
    Path nine = s.nextVersion(root);
    s.nextVersion(root); // v000000000010
    Files.move(nine, nine.resolveSibling("v9")); // a stray copy under a short name
    Files.createDirectories(
        root.resolve("m").resolve("backup-old")); // and a directory that is no version
    ModelRegistry r = new ModelRegistry(root, 1);
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(10);
    s.nextVersion(root); // v000000000011: as a string it sorts below "v9"
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(11);
    assertThat(r.rejections()).isZero();
  }

  @Test
  void anErrorWhileLoadingIsCaughtCountedAndShownAndTheReloaderCarriesOn() throws Exception {
    Snapshots s = new Snapshots();
    s.nextVersion(root);
    Path poisoned = s.nextVersion(root).getFileName();
    ModelRegistry r =
        new ModelRegistry(
            root,
            1,
            (dir, scorers) -> {
              if (dir.getFileName().equals(poisoned)) {
                throw new OutOfMemoryError(
                    "Java heap space (as a snapshot claiming 20 M rows would cause)");
              }
              return ServedModel.load(dir, scorers);
            });
    r.refresh();
    assertThat(r.model("m").orElseThrow().version())
        .as("the newest version that loads")
        .isEqualTo(1);
    assertThat(r.rejections()).isEqualTo(1);
    assertThat(r.reloadErrors()).isEqualTo(1);
    assertThat(r.lastReloadError()).contains("OutOfMemoryError");
    try (ScoringServer server =
        new ScoringServer(
            r,
            ServerOptions.builder()
                .set(ServerOptions.PORT, 0)
                .set(ServerOptions.THREADS, 1)
                .build(),
            3600)) {
      var client = java.net.http.HttpClient.newHttpClient();
      var health =
          client.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + server.port() + "/health"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(health.body()).contains("\"reload_errors\":1").contains("OutOfMemoryError");
      var metrics =
          client.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.body()).contains("hiformer_reload_errors_total 1");
    }
    s.nextVersion(root); // the reloader carries on: a good newer version is taken
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(3);
  }

  @Test
  void versionFoldersFollowTheUmaskSoThatAServerUnderAnotherUserCanReadThem() throws Exception {
    Path v = new Snapshots().nextVersion(root);
    Path probe = Files.createDirectory(root.resolve("probe")); // what the umask gives a new folder
    assertThat(Files.getPosixFilePermissions(v)).isEqualTo(Files.getPosixFilePermissions(probe));
  }
}
