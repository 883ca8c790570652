package ai.hiformer.serving;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.snapshot.ChangedRows;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.Batch;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.Models;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;

/** Writes real snapshots of a model trained on a small generated stream, one version per call. */
final class Snapshots {
  static final String SPEC =
      """
      {"name": "test", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FeatureSpec spec = FeatureSpec.parse(SPEC);
  private final FeatureEncoder encoder = new FeatureEncoder(spec, null);
  private final Learner learner;
  private final Batch batch = spec.layout().newBatch(64, 1);
  private int event;

  Snapshots() {
    this(ModelKind.HIFORMER.cliName());
  }

  /**
   * @param kind the model kind as written ({@code hiformer}, {@code hiformer+dcnv2+lr})
   */
  Snapshots(String kind) {
    var model = Models.create(ModelConfig.builder(kind).build(), spec.layout());
    ChangedRows.track(model); // deltas carry the rows changed since the last snapshot
    learner = new Learner(model, OptimizerConfig.defaults());
  }

  /** Writes the first version under {@code root} and returns a registry serving it. */
  ModelRegistry servedRegistry(Path root, int scorers) throws Exception {
    nextVersion(root);
    ModelRegistry r = new ModelRegistry(root, scorers);
    r.refresh();
    return r;
  }

  /** Trains one more micro-batch of 64 and writes its snapshot; returns the directory. */
  Path nextVersion(Path root) throws Exception {
    train();
    Path dir = writeFull(root);
    for (var t : learner.model().tables()) {
      // A full snapshot starts a new delta chain.
      ChangedRows.of(t).drain(ChangedRows.Reader.SNAPSHOT_DELTAS);
    }
    return dir;
  }

  /** Trains one more micro-batch of 64 on new events (new feature values included). */
  void train() throws Exception {
    for (int b = 0; b < 64; b++, event++) {
      encoder.encode(JsonLinesReader.of(JSON.readTree(event(event, true)), "gen"), batch, b);
    }
    batch.setSize(64);
    learner.predictThenTrain(batch, new double[64]);
  }

  /** Writes the current state as a full snapshot without touching the delta chain. */
  Path writeFull(Path root) throws Exception {
    return ModelSnapshot.write(
        root,
        "m",
        learner.steps(),
        SPEC,
        LearnerCodec.encode(learner),
        encoder.stateBytes(),
        learner.model().config().toProperties(),
        new ModelSnapshot.Position(event, event, 1));
  }

  /** Captures what changed since the last full snapshot or delta. */
  ai.hiformer.features.snapshot.ModelDelta delta(long base, long sequence, boolean withDense) {
    return ai.hiformer.features.snapshot.ModelDelta.capture(
        learner, encoder, base, sequence, withDense);
  }

  /** The JSON of generated event i (labels included when asked). */
  static String event(int i, boolean withLabel) {
    int user = i % 23 + (i / 150) * 23; // later events bring new users
    int item = i % 7;
    return String.format(
        "{\"user\": \"u%d\", \"item\": \"i%d\", \"price\": %d%s}",
        user, item, i % 13, withLabel ? ", \"click\": " + ((user + item) % 3 == 0 ? 1 : 0) : "");
  }

  /** The features object of a scoring request for event i. */
  static String features(int i) {
    return event(i, false);
  }
}
