package ai.hiformer.features.snapshot;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.train.Learner;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What changed since a full snapshot, for serving within seconds of learning (issue: incremental
 * sync): the embedding rows changed since the previous delta, the encoder state (vocabularies,
 * statistics), and, at a slower cadence, every dense parameter.
 *
 * <pre>
 *   SNAPSHOTS/&lt;model id&gt;/deltas/v&lt;base version, 12 digits&gt;-d&lt;sequence, 8 digits&gt;/
 *     manifest.json   format_version, model_id, base_version, sequence, model_version, has_dense, files {name: sha256}
 *     rows.bin        int tables; per table: int dim, int n, n × (int id, double[dim] values)   (big-endian)
 *     dense.bin       int params; per param: int size, double[size] values                     (when has_dense)
 *     encoder.bin     FeatureEncoder state
 * </pre>
 *
 * Deltas of one base apply in sequence order on top of that full snapshot; sequence 1 follows it.
 */
public final class ModelDelta {
  /**
   * v2: float32 table cells in learner.bin, vocabulary values by fingerprint in encoder.bin. v1 is
   * still read.
   */
  public static final int FORMAT_VERSION = 2;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final long baseVersion;
  private final long sequence;
  private final long modelVersion;
  private final byte[] rows;
  private final byte[] dense;
  private final byte[] encoder;

  private ModelDelta(
      long baseVersion,
      long sequence,
      long modelVersion,
      byte[] rows,
      byte[] dense,
      byte[] encoder) {
    this.baseVersion = baseVersion;
    this.sequence = sequence;
    this.modelVersion = modelVersion;
    this.rows = rows;
    this.dense = dense;
    this.encoder = encoder;
  }

  /** Captures the rows changed since the last capture (draining the tables' change sets). */
  public static ModelDelta capture(
      Learner learner, FeatureEncoder encoder, long baseVersion, long sequence, boolean withDense) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      List<EmbeddingTable> tables = learner.model().tables();
      out.writeInt(tables.size());
      for (EmbeddingTable t : tables) {
        int[] ids = ChangedRows.of(t).drain(ChangedRows.Reader.SNAPSHOT_DELTAS);
        out.writeInt(t.dim());
        out.writeInt(ids.length);
        for (int id : ids) {
          out.writeInt(id);
          for (int j = 0; j < t.dim(); j++) {
            out.writeDouble(t.value(id, j));
          }
        }
      }
      out.flush();
      byte[] dense = null;
      if (withDense) {
        ByteArrayOutputStream d = new ByteArrayOutputStream();
        DataOutputStream dout = new DataOutputStream(d);
        DenseWeights.write(learner.model(), dout);
        dout.flush();
        dense = d.toByteArray();
      }
      return new ModelDelta(
          baseVersion, sequence, learner.steps(), bytes.toByteArray(), dense, encoder.stateBytes());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public long baseVersion() {
    return baseVersion;
  }

  public long sequence() {
    return sequence;
  }

  public long modelVersion() {
    return modelVersion;
  }

  private static final java.util.regex.Pattern NAME =
      java.util.regex.Pattern.compile("v(\\d{1,18})-d\\d+");

  /**
   * The base version a delta directory's name stands for (as {@link #directory} names it), or -1.
   */
  public static long baseVersionOf(Path dir) {
    java.util.regex.Matcher m = NAME.matcher(dir.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  public static Path directory(Path root, String modelId, long baseVersion, long sequence) {
    return root.resolve(modelId)
        .resolve("deltas")
        .resolve(String.format("v%012d-d%08d", baseVersion, sequence));
  }

  /** Writes this delta atomically under {@code root}; returns its directory. */
  public Path write(Path root, String modelId) throws IOException {
    Path target = directory(root, modelId, baseVersion, sequence);
    if (Files.isDirectory(target)) {
      return target;
    }
    Files.createDirectories(target.getParent());
    Path tmp = ListedFiles.newStagingFolder(target);
    ObjectNode m = JSON.createObjectNode();
    m.put("format_version", FORMAT_VERSION);
    m.put("model_id", modelId);
    m.put("base_version", baseVersion);
    m.put("sequence", sequence);
    m.put("model_version", modelVersion);
    m.put("has_dense", dense != null);
    ObjectNode files = m.putObject("files");
    Files.write(tmp.resolve("rows.bin"), rows);
    files.put("rows.bin", ModelSnapshot.sha256(rows));
    Files.write(tmp.resolve("encoder.bin"), encoder);
    files.put("encoder.bin", ModelSnapshot.sha256(encoder));
    if (dense != null) {
      Files.write(tmp.resolve("dense.bin"), dense);
      files.put("dense.bin", ModelSnapshot.sha256(dense));
    }
    ListedFiles.writeManifest(tmp, m);
    ListedFiles.moveIntoPlace(tmp, target);
    return target;
  }

  /** Reads and verifies a delta directory. */
  public static ModelDelta read(Path dir) throws IOException {
    Path manifest = dir.resolve("manifest.json");
    JsonNode m = ListedFiles.readManifest(dir, "delta");
    int format = m.path("format_version").asInt(-1);
    if (format < 1 || format > FORMAT_VERSION) {
      throw new IOException(
          manifest
              + ": delta format v"
              + m.path("format_version")
              + " is not supported by this version (it reads v1 to v"
              + FORMAT_VERSION
              + ")");
    }
    Map<String, byte[]> files =
        ListedFiles.read(dir, m.path("files"), Set.of("rows.bin", "dense.bin", "encoder.bin"));
    byte[] rows = files.get("rows.bin");
    byte[] dense = files.get("dense.bin");
    byte[] encoder = files.get("encoder.bin");
    if (rows == null || encoder == null || (m.path("has_dense").asBoolean() && dense == null)) {
      throw new IOException(
          manifest + ": files must list rows.bin, encoder.bin (and dense.bin when has_dense)");
    }
    return new ModelDelta(
        m.path("base_version").asLong(),
        m.path("sequence").asLong(),
        m.path("model_version").asLong(),
        rows,
        dense,
        encoder);
  }

  /**
   * Applies this delta to a model and encoder loaded from its base snapshot (or earlier deltas).
   */
  public void applyTo(Learner learner, FeatureEncoder encoderState) throws IOException {
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(rows));
    List<EmbeddingTable> tables = learner.model().tables();
    int nt = in.readInt();
    if (nt != tables.size()) {
      throw new IOException("delta has " + nt + " tables, the model " + tables.size());
    }
    for (EmbeddingTable t : tables) {
      int dim = in.readInt();
      int n = in.readInt();
      if (dim != t.dim()) {
        throw new IOException("delta table dim " + dim + " does not match " + t.dim());
      }
      // Each row takes 4 + 8·dim bytes, and new ids are handed out one after another: a delta of n
      // rows can
      // add at most n rows to a table. Checked before anything grows.
      if (n < 0 || (long) n * (4 + 8L * dim) > in.available()) {
        throw new IOException(
            "delta table claims "
                + n
                + " rows of dim "
                + dim
                + " but holds "
                + in.available()
                + " bytes");
      }
      int limit = t.rows() + n;
      for (int i = 0; i < n; i++) {
        int id = in.readInt();
        if (id < 0 || id >= limit) {
          throw new IOException(
              "delta row id "
                  + id
                  + " is outside the table ("
                  + t.rows()
                  + " rows, "
                  + n
                  + " in this delta)");
        }
        t.ensureRow(id);
        for (int j = 0; j < dim; j++) {
          t.setValue(id, j, in.readDouble());
        }
      }
    }
    if (dense != null) {
      DenseWeights.read(
          new DataInputStream(new java.io.ByteArrayInputStream(dense)), learner.model(), "delta");
    }
    encoderState.restoreState(encoder);
  }

  /** The deltas of {@code baseVersion} under {@code root}, in sequence order. */
  public static List<Path> list(Path root, String modelId, long baseVersion) throws IOException {
    Path dir = root.resolve(modelId).resolve("deltas");
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    String prefix = String.format("v%012d-d", baseVersion);
    try (var s = Files.list(dir)) {
      s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().forEach(out::add);
    }
    return out;
  }
}
