package ai.hiformer.features.snapshot;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * A model snapshot for serving: one directory per model version, written atomically (a temporary
 * name, then a rename) and readable without Flink.
 *
 * <pre>
 *   SNAPSHOTS/&lt;model id&gt;/v&lt;version, 12 digits&gt;/
 *     manifest.json   format_version, model_id, model_version, model_config (key=value text),
 *                     feature_spec (the spec JSON), position {examples_trained, events_scored,
 *                     checkpoint_id}, metrics {task.progressive_auc, task.progressive_logloss,
 *                     task.examples}, files {name: sha256}
 *     learner.bin     weights and optimiser state, {@link LearnerCodec} layout (little-endian)
 *     encoder.bin     vocabularies and numeric statistics, {@link FeatureEncoder#stateBytes()} layout
 * </pre>
 *
 * Readers reject an unknown format version, a missing file or a checksum mismatch, naming it.
 */
public final class ModelSnapshot {
  /**
   * v2: float32 table cells in learner.bin, vocabulary values by fingerprint in encoder.bin. v1 is
   * still read.
   */
  public static final int FORMAT_VERSION = 2;

  public static final String MANIFEST = "manifest.json";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Where in the stream a snapshot was taken. */
  public record Position(long examplesTrained, long eventsScored, long checkpointId) {}

  /**
   * What a snapshot's manifest says of it: model, version, position and learning metrics. Read
   * without loading or verifying the model files ({@link #readSummary}), for watching a job's
   * progress.
   */
  public record Summary(
      String modelId, long modelVersion, Position position, Map<String, Double> metrics) {
    public Summary {
      metrics = Map.copyOf(metrics);
    }
  }

  private final String modelId;
  private final long modelVersion;
  private final FeatureSpec spec;
  private final Learner learner;
  private final FeatureEncoder encoder;
  private final Position position;
  private final Map<String, Double> metrics;

  private ModelSnapshot(
      String modelId,
      long modelVersion,
      FeatureSpec spec,
      Learner learner,
      FeatureEncoder encoder,
      Position position,
      Map<String, Double> metrics) {
    this.metrics = Map.copyOf(metrics);
    this.modelId = modelId;
    this.modelVersion = modelVersion;
    this.spec = spec;
    this.learner = learner;
    this.encoder = encoder;
    this.position = position;
  }

  private static final java.util.regex.Pattern VERSION_NAME =
      java.util.regex.Pattern.compile("v(\\d{1,18})");

  /**
   * The version a directory's name stands for ({@code v<digits>}, as {@link #directory} names it),
   * or -1 for any other name. Versions compare as these numbers, never as names ({@code v9} is
   * older than {@code v10}).
   */
  public static long versionOf(Path dir) {
    java.util.regex.Matcher m = VERSION_NAME.matcher(dir.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  /** The directory of one version under {@code root}. */
  public static Path directory(Path root, String modelId, long version) {
    return root.resolve(modelId).resolve(String.format("v%012d", version));
  }

  /**
   * Writes a snapshot atomically; an existing directory for the same version is left as it is (the
   * same checkpointed state was written before, e.g. by a restarted job).
   *
   * @return the snapshot directory
   */
  public static Path write(
      Path root,
      String modelId,
      long version,
      String specJson,
      byte[] learnerBytes,
      byte[] encoderBytes,
      String modelConfig,
      Position position)
      throws IOException {
    return write(
        root,
        modelId,
        version,
        specJson,
        learnerBytes,
        encoderBytes,
        modelConfig,
        position,
        Map.of());
  }

  /**
   * As {@link #write(Path, String, long, String, byte[], byte[], String, Position)}, with the
   * learning metrics at the snapshot (e.g. {@code click.progressive_auc}) recorded in the manifest.
   */
  public static Path write(
      Path root,
      String modelId,
      long version,
      String specJson,
      byte[] learnerBytes,
      byte[] encoderBytes,
      String modelConfig,
      Position position,
      Map<String, Double> metrics)
      throws IOException {
    Path target = directory(root, modelId, version);
    if (Files.isDirectory(target)) {
      return target;
    }
    Files.createDirectories(target.getParent());
    Path tmp = ListedFiles.newStagingFolder(target);
    Files.write(tmp.resolve("learner.bin"), learnerBytes);
    Files.write(tmp.resolve("encoder.bin"), encoderBytes);
    ObjectNode m = JSON.createObjectNode();
    m.put("format_version", FORMAT_VERSION);
    m.put("model_id", modelId);
    m.put("model_version", version);
    m.put("model_config", modelConfig);
    m.set("feature_spec", JSON.readTree(specJson));
    ObjectNode pos = m.putObject("position");
    pos.put("examples_trained", position.examplesTrained());
    pos.put("events_scored", position.eventsScored());
    pos.put("checkpoint_id", position.checkpointId());
    ObjectNode metricsNode = m.putObject("metrics");
    metrics.forEach(
        (k, v) -> {
          if (Double.isFinite(v)) {
            metricsNode.put(k, v);
          }
        });
    ObjectNode files = m.putObject("files");
    files.put("learner.bin", sha256(learnerBytes));
    files.put("encoder.bin", sha256(encoderBytes));
    ListedFiles.writeManifest(tmp, m);
    ListedFiles.moveIntoPlace(tmp, target);
    return target;
  }

  /**
   * Writes {@code m} as the manifest of the version folder {@code dir}, with its checksum: what a
   * tool that edits a manifest on purpose (and the tests that play one) must use, since an edit
   * without it is rejected.
   */
  public static void writeManifest(Path dir, JsonNode m) throws IOException {
    ListedFiles.writeManifest(dir, m);
  }

  /** Reads and verifies one snapshot directory. */
  public static ModelSnapshot read(Path dir, OptimizerConfig optimizer) throws IOException {
    Path manifest = dir.resolve(MANIFEST);
    JsonNode m = ListedFiles.readManifest(dir, "snapshot");
    int version = m.path("format_version").asInt(-1);
    if (version < 1 || version > FORMAT_VERSION) {
      throw new IOException(
          manifest
              + ": snapshot format v"
              + m.path("format_version")
              + " is not supported by this version (it reads v1 to v"
              + FORMAT_VERSION
              + ")");
    }
    Map<String, byte[]> files =
        ListedFiles.read(dir, m.path("files"), Set.of("learner.bin", "encoder.bin"));
    byte[] learnerBytes = files.get("learner.bin");
    byte[] encoderBytes = files.get("encoder.bin");
    if (learnerBytes == null || encoderBytes == null) {
      throw new IOException(manifest + ": files must list learner.bin and encoder.bin");
    }
    FeatureSpec spec = FeatureSpec.parse(JSON.writeValueAsString(m.get("feature_spec")));
    Learner learner = LearnerCodec.decode(learnerBytes, optimizer);
    requireFit(dir, spec, learner);
    FeatureEncoder encoder = new FeatureEncoder(spec, null);
    encoder.restoreState(encoderBytes);
    requireVocabulariesFit(dir, encoder, learner);
    Summary summary = summaryOf(m);
    return new ModelSnapshot(
        summary.modelId(),
        summary.modelVersion(),
        spec,
        learner,
        encoder,
        summary.position(),
        summary.metrics());
  }

  /**
   * A snapshot directory's manifest (checked against its checksum), without its model files: what a
   * watcher of progress needs, at a fraction of {@link #read}'s cost.
   */
  public static Summary readSummary(Path dir) throws IOException {
    return summaryOf(ListedFiles.readManifest(dir, "snapshot"));
  }

  private static Summary summaryOf(JsonNode m) {
    JsonNode pos = m.path("position");
    Map<String, Double> metrics = new java.util.LinkedHashMap<>();
    m.path("metrics")
        .fields()
        .forEachRemaining(e -> metrics.put(e.getKey(), e.getValue().asDouble()));
    return new Summary(
        m.path("model_id").asText(),
        m.path("model_version").asLong(),
        new Position(
            pos.path("examples_trained").asLong(),
            pos.path("events_scored").asLong(),
            pos.path("checkpoint_id").asLong()),
        metrics);
  }

  /**
   * The newest version directory under a model's folder ({@code <root>/<modelId>}), by version
   * number; empty if the folder holds none.
   */
  public static java.util.Optional<Path> newest(Path modelDir) throws IOException {
    if (!java.nio.file.Files.isDirectory(modelDir)) {
      return java.util.Optional.empty();
    }
    try (java.util.stream.Stream<Path> versions = java.nio.file.Files.list(modelDir)) {
      return versions
          .filter(p -> versionOf(p) >= 0)
          .filter(p -> java.nio.file.Files.exists(p.resolve(MANIFEST)))
          .max(java.util.Comparator.comparingLong(ModelSnapshot::versionOf));
    }
  }

  /**
   * The parts must fit each other: the spec's input layout and tasks are the model's, and the spec
   * has one embedding table per categorical or multi-valued field. A snapshot whose spec was
   * changed (a categorical field turned multi-valued) would otherwise load and fail every request.
   */
  public static void requireFit(Object where, FeatureSpec spec, Learner learner)
      throws IOException {
    var model = learner.model();
    if (!spec.layout().equals(model.layout())) {
      throw new IOException(
          where
              + ": the feature spec's input layout "
              + spec.layout()
              + " does not match the model's "
              + model.layout());
    }
    if (spec.tasks().size() != model.config().tasks()) {
      throw new IOException(
          where
              + ": the feature spec has "
              + spec.tasks().size()
              + " tasks, the model "
              + model.config().tasks());
    }
    int fields = spec.layout().nCat() + spec.layout().nMulti();
    // One table per field, per member for a blend (its tables are its members', member by member).
    int expected = fields * Math.max(1, model.config().members().size());
    if (model.tables().size() != expected && model.tables().size() != 0) {
      throw new IOException(
          where
              + ": the model has "
              + model.tables().size()
              + " embedding tables for "
              + fields
              + " categorical and multi-valued fields");
    }
  }

  /**
   * Every id an exact vocabulary has handed out has its embedding row: the learner materialises a
   * row when it first scores the value, before any state can be saved. A vocabulary that ran past
   * its table (a damaged or forged encoder state) would otherwise make the first event with such a
   * value grow the table to that id.
   */
  public static void requireVocabulariesFit(Object where, FeatureEncoder encoder, Learner learner)
      throws IOException {
    var tables = learner.model().tables();
    int fields = learner.model().layout().nCat() + learner.model().layout().nMulti();
    for (int i = 0; i < tables.size(); i++) {
      int needed = encoder.rowsNeededByTable(i);
      if (needed > tables.get(i).rows()) {
        throw new IOException(
            where
                + ": the vocabulary of field '"
                + encoder.vocabularyField(i % fields)
                + "' hands out ids up to "
                + (needed - 1)
                + " but its embedding table has "
                + tables.get(i).rows()
                + " rows");
      }
    }
  }

  /** Learning metrics recorded with the snapshot (may be empty). */
  public Map<String, Double> metrics() {
    return metrics;
  }

  public String modelId() {
    return modelId;
  }

  public long modelVersion() {
    return modelVersion;
  }

  public FeatureSpec spec() {
    return spec;
  }

  public Learner learner() {
    return learner;
  }

  public FeatureEncoder encoder() {
    return encoder;
  }

  public Position position() {
    return position;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
