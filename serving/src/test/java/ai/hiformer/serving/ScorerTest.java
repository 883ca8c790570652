package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.Batch;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.Models;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scoring reads the model and never changes it. */
class ScorerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HASHED_SPEC =
      """
      {"name": "hashed", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical", "embedding": {"keys": "hashed", "buckets": 100000}},
                  {"name": "tags", "kind": "multi", "max_values": 3, "embedding": {"keys": "hashed", "buckets": 100000}},
                  {"name": "price", "kind": "numeric"}]}""";

  @TempDir Path root;

  private static Row row(String json) throws Exception {
    return JsonLinesReader.of(JSON.readTree(json), "t");
  }

  @Test
  void idsWithoutATrainedRowScoreAsTheOutOfVocabularyRowAndNoTableGrows() throws Exception {
    FeatureSpec spec = FeatureSpec.parse(HASHED_SPEC);
    FeatureEncoder encoder = new FeatureEncoder(spec, null);
    Learner learner =
        new Learner(
            Models.create(ModelConfig.builder(ModelKind.HIFORMER).build(), spec.layout()),
            OptimizerConfig.defaults());
    Batch batch = spec.layout().newBatch(64, 1);
    for (int b = 0; b < 64; b++) {
      encoder.encode(
          row(
              "{\"user\": \"u"
                  + b % 9
                  + "\", \"tags\": [\"t"
                  + b % 4
                  + "\"], \"price\": "
                  + b
                  + ", \"click\": "
                  + b % 2
                  + "}"),
          batch,
          b);
    }
    batch.setSize(64);
    learner.predictThenTrain(batch, new double[64]);
    Path dir =
        ModelSnapshot.write(
            root,
            "h",
            1,
            HASHED_SPEC,
            LearnerCodec.encode(learner),
            encoder.stateBytes(),
            learner.model().config().toProperties(),
            new ModelSnapshot.Position(64, 64, 1));

    ModelSnapshot snapshot = ModelSnapshot.read(dir, OptimizerConfig.defaults());
    List<EmbeddingTable> tables = snapshot.learner().model().tables();
    int[] rowsBefore = tables.stream().mapToInt(EmbeddingTable::rows).toArray();
    assertThat(java.util.Arrays.stream(rowsBefore).max().getAsInt())
        .as("rows materialised by training")
        .isLessThan(100_000);
    Scorer scorer = new Scorer(snapshot.spec(), snapshot.encoder(), snapshot.learner().model());

    List<Row> unseen = new ArrayList<>();
    for (int i = 0; i < 2000; i++) { // hash to buckets all over the million
      unseen.add(row("{\"user\": \"new" + i + "\", \"tags\": [\"new" + i + "\"], \"price\": 5}"));
      // (the same numeric value in every event, so that only the ids differ)
    }
    double[] scores = new double[unseen.size()];
    scorer.score(unseen, scores, new String[unseen.size()]);
    // What the model gives the event with both ids replaced by row 0 (the OOV row), by hand.
    Batch one = spec.layout().newBatch(1, 1);
    snapshot.encoder().encodeReadOnly(unseen.get(0), one, 0);
    one.setSize(1);
    one.cat[0] = 0;
    java.util.Arrays.fill(one.multi, 0);
    double[] oov = new double[1];
    snapshot.learner().predict(one, oov);

    assertThat(tables.stream().mapToInt(EmbeddingTable::rows).toArray())
        .as("no table grew")
        .isEqualTo(rowsBefore);
    int asOov = 0;
    for (int i = 0; i < unseen.size(); i++) {
      int user = snapshot.encoder().vocabulary(0).lookup("new" + i);
      int tag = snapshot.encoder().vocabulary(1).lookup("new" + i);
      if (user >= rowsBefore[0] && tag >= rowsBefore[1]) {
        // (to float rounding: the batch runs the float matrix chain, the single row its own kernel)
        assertThat(scores[i])
            .as("event %d: both ids past their tables", i)
            .isCloseTo(oov[0], org.assertj.core.data.Offset.offset(1e-6));
        asOov++;
      }
    }
    assertThat(asOov).as("events whose buckets lie past every trained row").isGreaterThan(100);
  }
}
