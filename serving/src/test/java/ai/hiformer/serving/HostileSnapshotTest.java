package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.Folders;
import ai.hiformer.features.snapshot.ModelDelta;
import ai.hiformer.features.snapshot.ModelSnapshot;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots and deltas written to hurt the reader, each with valid checksums: they are rejected
 * with a reason before anything is allocated or read outside the version folder, and the previous
 * version keeps serving.
 */
class HostileSnapshotTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** A registry serving v1, and a second version to tamper with. */
  private record Setup(Snapshots snapshots, ModelRegistry registry, Path v2) {}

  private Setup setup() throws Exception {
    Snapshots s = new Snapshots();
    ModelRegistry r = s.servedRegistry(root, 1);
    assertThat(r.model("m").orElseThrow().version()).isEqualTo(1);
    return new Setup(s, r, s.nextVersion(root));
  }

  private static void assertRejectedStillServingV1(ModelRegistry r, Path bad, String reason) {
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).as("still serving").isEqualTo(1);
    assertThat(r.rejectionReasons().get(bad)).as("reason for %s", bad).contains(reason);
    assertThat(r.reloadErrors()).as("no error escaped the checks").isZero();
  }

  @Test
  void aSpecThatNoLongerFitsTheModelIsRejected() throws Exception {
    Setup s = setup();
    Path manifest = s.v2().resolve(ModelSnapshot.MANIFEST);
    ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
    // A categorical field turned multi-valued: the model was built for another input layout.
    for (var field : m.get("feature_spec").get("fields")) {
      if (field.get("kind").asText().equals("categorical")) {
        ((ObjectNode) field).put("kind", "multi");
        break;
      }
    }
    ModelSnapshot.writeManifest(manifest.getParent(), m); // with a valid checksum
    assertRejectedStillServingV1(s.registry(), s.v2(), "does not match the model's");
  }

  @Test
  void aManifestNamingAFileOutsideTheFolderIsRejected() throws Exception {
    Setup s = setup();
    Path outside = Files.writeString(root.resolve("secret.txt"), "not yours");
    Path manifest = s.v2().resolve(ModelSnapshot.MANIFEST);
    ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
    ((ObjectNode) m.get("files")).put("../../secret.txt", sha256(Files.readAllBytes(outside)));
    ModelSnapshot.writeManifest(manifest.getParent(), m); // with a valid checksum
    assertRejectedStillServingV1(s.registry(), s.v2(), "which is not one of");
  }

  @Test
  void aLinkToADeviceIsNotReadEvenUnderAnAllowedName() throws Exception {
    Setup s = setup();
    Path learner = s.v2().resolve("learner.bin");
    Files.delete(learner);
    Files.createSymbolicLink(learner, Path.of("/dev/zero"));
    assertRejectedStillServingV1(
        s.registry(), s.v2(), "is not a readable regular file of this folder");
  }

  @Test
  void aMissingFileAndAnUnreadableOneGetTheSameReason() throws Exception {
    Setup s = setup();
    Files.delete(s.v2().resolve("encoder.bin"));
    assertRejectedStillServingV1(
        s.registry(), s.v2(), "encoder.bin is not a readable regular file of this folder");
  }

  @Test
  void aFileAboveTheCeilingIsRefusedBeforeItIsRead() throws Exception {
    Setup s = setup();
    String before = System.getProperty("hiformer.snapshot.max-bytes");
    System.setProperty("hiformer.snapshot.max-bytes", "1000");
    try {
      assertRejectedStillServingV1(s.registry(), s.v2(), "above the ceiling of 1000");
    } finally {
      if (before == null) {
        System.clearProperty("hiformer.snapshot.max-bytes");
      } else {
        System.setProperty("hiformer.snapshot.max-bytes", before);
      }
    }
  }

  @Test
  void aLearnerClaimingTwentyMillionRowsIsRefusedBeforeTheTableGrows() throws Exception {
    Setup s = setup();
    Path file = s.v2().resolve("learner.bin");
    byte[] b = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    // LearnerCodec layout: magic, config, layout, counters, parameters, then the tables' headers.
    buf.position(4);
    skip(buf, buf.getInt()); // model config
    skip(buf, 16 + 24); // input layout, counters
    int params = buf.getInt();
    for (int i = 0; i < params; i++) {
      skip(buf, buf.getInt()); // name
      int size = buf.getInt();
      skip(buf, 24 * size); // value, Adam's m and v
    }
    assertThat(buf.getInt()).as("tables").isPositive();
    skip(buf, buf.getInt()); // the first table's name
    buf.getInt(); // dim
    buf.putInt(buf.position(), 20_000_000); // rows
    CRC32C crc = new CRC32C();
    crc.update(b, 0, b.length - 4);
    ByteBuffer.wrap(b, b.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
    Files.write(file, b);
    Path manifest = s.v2().resolve(ModelSnapshot.MANIFEST);
    ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
    ((ObjectNode) m.get("files")).put("learner.bin", sha256(b));
    ModelSnapshot.writeManifest(manifest.getParent(), m); // with a valid checksum
    assertRejectedStillServingV1(s.registry(), s.v2(), "claims 20000000 rows");
  }

  private static void skip(ByteBuffer buf, int bytes) {
    buf.position(buf.position() + bytes);
  }

  @Test
  void aDeltaNamingDevZeroIsRejected() throws Exception {
    Snapshots s = new Snapshots();
    ModelRegistry r = s.servedRegistry(root, 1);
    s.train();
    Path delta = s.delta(1, 1, false).write(root, "m");
    Path manifest = delta.resolve("manifest.json");
    ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
    ((ObjectNode) m.get("files")).put("/dev/zero", sha256(new byte[0]));
    ModelSnapshot.writeManifest(manifest.getParent(), m); // with a valid checksum
    r.refresh();
    assertThat(r.model("m").orElseThrow().version()).as("the delta is not applied").isEqualTo(1);
    assertThat(r.rejectionReasons().get(delta)).contains("which is not one of");
    assertThat(ModelDelta.list(root, "m", 1)).containsExactly(delta);
  }

  @Test
  void aVocabularyThatRanPastItsTableIsRejected() throws Exception {
    Setup s = setup();
    Folders.deleteTree(s.v2()); // the forged version below is the only newer one
    // A forged encoder state: the user vocabulary claims 5,000 values the model never gave rows to.
    var spec = ai.hiformer.features.spec.FeatureSpec.parse(Snapshots.SPEC);
    var encoder = new ai.hiformer.features.FeatureEncoder(spec, null);
    for (int i = 0; i < 5000; i++) {
      encoder.vocabulary(0).idFor("forged" + i, i);
    }
    var learner =
        new ai.hiformer.model.train.Learner(
            ai.hiformer.model.Models.create(
                ai.hiformer.model.ModelConfig.builder(ai.hiformer.model.ModelKind.HIFORMER).build(),
                spec.layout()),
            ai.hiformer.model.optim.OptimizerConfig.defaults());
    Path bad =
        ModelSnapshot.write(
            root,
            "m",
            99,
            Snapshots.SPEC,
            ai.hiformer.model.io.LearnerCodec.encode(learner),
            encoder.stateBytes(),
            learner.model().config().toProperties(),
            new ModelSnapshot.Position(0, 0, 0));
    assertRejectedStillServingV1(
        s.registry(), bad, "vocabulary of field 'user' hands out ids up to 5000");
  }

  @Test
  void aManifestEditedWithoutItsChecksumIsRejected() throws Exception {
    Setup s = setup();
    Path manifest = s.v2().resolve(ModelSnapshot.MANIFEST);
    ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
    m.put("model_version", 7);
    JSON.writeValue(manifest.toFile(), m);
    assertRejectedStillServingV1(s.registry(), s.v2(), "manifest.json: checksum mismatch");
  }
}
