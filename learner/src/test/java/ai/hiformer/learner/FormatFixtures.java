package ai.hiformer.learner;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.snapshot.ModelDelta;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.optim.OptimizerConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

/**
 * Writes the persisted formats of this version as test fixtures ({@code
 * src/test/resources/formats/vN}): a model runtime's state (what the job keeps in keyed state and
 * savepoints), a full snapshot and a delta (what serving loads), and {@code expected.json} with
 * what loading them must give. Run once per format version, never to refresh a released version's
 * files:
 *
 * <pre>
 *   mvn -q -pl learner test-compile
 *   java -cp "learner/target/test-classes:learner/target/classes:$(cat cp.txt)" \
 *       ai.hiformer.learner.FormatFixtures learner/src/test/resources/formats/v1
 * </pre>
 *
 * ({@code cp.txt} from {@code mvn -q -pl learner dependency:build-classpath
 * -Dmdep.outputFile=cp.txt}).
 */
public final class FormatFixtures {
  static final String SPEC =
      """
      {"name": "fixture", "format": "jsonl", "tasks": [{"name": "click"}, {"name": "buy"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "tags", "kind": "multi", "max_values": 3},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";
  static final int MICRO_BATCH = 8;
  static final ObjectMapper JSON = new ObjectMapper();

  private FormatFixtures() {}

  static ModelConfig model() {
    return ModelConfig.builder(ModelKind.HIFORMER)
        .d(4)
        .heads(2)
        .keyDim(2)
        .valueDim(2)
        .rankQ(3)
        .rankK(3)
        .rankV(4)
        .headHidden(6)
        .ffnHidden(8)
        .seed(5)
        .build();
  }

  /** Event i of the fixture stream: 5 users, tags from 4, labels of both tasks on most events. */
  static Row row(int i) throws Exception {
    return JsonLinesReader.of(
        JSON.readTree(
            "{\"user\": \"u"
                + i % 5
                + "\", \"tags\": [\"t"
                + i % 4
                + "\", \"t"
                + (i + 1) % 4
                + "\"], \"price\": "
                + (i * 7 % 30)
                + "}"),
        "e" + i);
  }

  static Map<String, Double> labels(int i) {
    return i % 5 == 4
        ? Map.of()
        : Map.of("click", i % 3 == 0 ? 1.0 : 0.0, "buy", i % 4 == 0 ? 1.0 : 0.0);
  }

  /**
   * Rows never seen in the stream's vocabularies as well as known ones, for the scores
   * expected.json records.
   */
  static List<Row> probes() throws Exception {
    return List.of(
        row(0),
        row(3),
        JsonLinesReader.of(
            JSON.readTree("{\"user\": \"new\", \"tags\": [], \"price\": 12}"), "probe"));
  }

  public static void main(String[] args) throws Exception {
    Path out = Paths.get(args[0]);
    Files.createDirectories(out);
    FeatureSpec spec = FeatureSpec.parse(SPEC);
    ModelRuntime r = new ModelRuntime(spec, model(), OptimizerConfig.defaults(), MICRO_BATCH);
    r.snapshotPolicy(2 * MICRO_BATCH, 0);
    for (int i = 0; i < 45; i++) {
      r.scoreAndLearn(row(i), labels(i), 1_700_000_000_000L + 1000L * i);
    }
    CapturedSnapshot last = r.drainCaptured().get(1);
    r.snapshotPolicy(0, 0); // learning goes on past the full snapshot: the delta carries it
    for (int i = 45; i < 72; i++) {
      r.scoreAndLearn(row(i), labels(i), 1_700_000_000_000L + 1000L * i);
    }
    Path snapshots = out.resolve("snapshots");
    ModelSnapshot.write(
        snapshots,
        "m",
        last.version(),
        SPEC,
        last.learner(),
        last.encoder(),
        last.modelConfig(),
        new ModelSnapshot.Position(last.trainedExamples(), last.eventsScored(), 7),
        last.metrics());
    r.captureDeltaIfChanged(true);
    for (ModelDelta d : r.drainDeltas()) {
      d.write(snapshots, "m");
    }
    Files.write(out.resolve("runtime-state.bin"), r.toBytes());

    ObjectNode expected = JSON.createObjectNode();
    expected.put("runtime_version", r.version());
    expected.put("runtime_scored", r.scored());
    expected.put("runtime_trained_examples", r.trainedExamples());
    expected.put("runtime_pending_examples", r.pendingExamples());
    expected.put("snapshot_version", last.version());
    expected.put("delta_model_version", r.version());
    ArrayNode scores = expected.putArray("runtime_scores");
    for (Row probe : probes()) {
      double[] p = r.scoreAndLearn(probe, Map.of(), 0);
      scores.addArray().add(p[0]).add(p[1]);
    }
    JSON.writerWithDefaultPrettyPrinter()
        .writeValue(out.resolve("expected.json").toFile(), expected);
  }
}
