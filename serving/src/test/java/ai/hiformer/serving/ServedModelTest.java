package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.io.Row;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A served version holds its weights once, however many threads score with it. */
class ServedModelTest {
  @TempDir Path root;

  @Test
  void everyScorerReadsOneCopyOfTheWeightsTablesAndVocabularies() throws Exception {
    Snapshots s = new Snapshots();
    s.nextVersion(root);
    Path dir = s.nextVersion(root);
    ServedModel served = ServedModel.load(dir, 4);
    List<Scorer> scorers = served.idleScorers();
    assertThat(scorers).hasSize(4);
    CtrModel first = scorers.get(0).model();
    for (Scorer sc : scorers.subList(1, 4)) {
      CtrModel m = sc.model();
      assertThat(m).isNotSameAs(first); // its own activations
      assertThat(m.tables()).isSameAs(first.tables());
      List<Param> params = m.params().all();
      for (int i = 0; i < params.size(); i++) {
        assertThat(params.get(i).value())
            .as(params.get(i).name())
            .isSameAs(first.params().all().get(i).value());
      }
    }
    for (EmbeddingTable t : first.tables()) {
      assertThat(t.frozen()).isTrue();
      assertThat(t.hasOptimizerState()).as("no optimiser state is served").isFalse();
      assertThatThrownBy(() -> t.ensureRow(t.rows() + 5)).hasMessageContaining("read-only");
    }
  }

  @Test
  void fourThreadsScoringAtOnceGetWhatOneThreadGets() throws Exception {
    Path dir = new Snapshots().nextVersion(root);
    ServedModel served = ServedModel.load(dir, 4);
    ObjectMapper json = new ObjectMapper();
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      rows.add(JsonLinesReader.of(json.readTree(Snapshots.features(i)), "t"));
    }
    double[] expected = new double[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      expected[i] = served.score(rows.get(i)).get("click");
    }
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<double[]>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(
            threads.submit(
                () -> {
                  double[] got = new double[rows.size()];
                  for (int round = 0; round < 5; round++) {
                    for (int i = 0; i < rows.size(); i++) {
                      got[i] = served.score(rows.get(i)).get("click");
                    }
                  }
                  return got;
                }));
      }
      for (Future<double[]> f : results) {
        assertThat(f.get()).containsExactly(expected);
      }
    } finally {
      threads.shutdownNow();
    }
  }
}
