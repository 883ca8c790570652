package ai.hiformer.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.optim.OptimizerConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job's state in two parts: a head and the embedding rows saved apart, only those changed since
 * the last save. Rebuilt from the head and every saved row, a runtime is byte-identical to the one
 * that saved them and carries on identically; a save after a few events writes the rows those
 * events touched, not the table.
 */
class IncrementalStateTest {
  private static final FeatureSpec SPEC =
      FeatureSpec.parse(
          """
      {"name": "t", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MICRO_BATCH = 16;

  /** Events over {@code users} × 50 items, starting at event {@code from}. */
  private static void feed(ModelRuntime r, int from, int n, int users) throws Exception {
    SplittableRandom rng = new SplittableRandom(from);
    for (int i = from; i < from + n; i++) {
      int user = rng.nextInt(users);
      int item = rng.nextInt(50);
      var row = TestRows.userItemPrice(user, item, rng.nextInt(100), "e" + i);
      r.scoreAndLearn(
          row, Map.of("click", (user + item) % 3 == 0 ? 1.0 : 0.0), 1_700_000_000_000L + i);
    }
  }

  private static ModelRuntime fresh(String kind) {
    return new ModelRuntime(
        SPEC,
        ModelConfig.builder(kind).d(8).seed(5).build(),
        OptimizerConfig.defaults(),
        MICRO_BATCH);
  }

  /**
   * A learner that only learns (scoring replicas score): values first seen in a partial micro-batch
   * have their rows before the state is saved, so a save between two steps restores (the restore
   * checks that every id a vocabulary handed out has a row) and carries on identically.
   */
  @ParameterizedTest
  @ValueSource(strings = {"hiformer", "hiformer+dcnv2+lr"})
  void aLearnerThatOnlyLearnsSavesBetweenStepsAndRestores(String kind) throws Exception {
    ModelRuntime a = fresh(kind);
    learnOnly(a, 0, MICRO_BATCH * 3 + 5); // 5 examples with new values wait in the micro-batch
    assertThat(a.pendingExamples()).isEqualTo(5);
    Map<Long, byte[]> saved = new TreeMap<>();
    Map<Long, byte[]> entries = new TreeMap<>();
    a.drainUnsaved(saved::put, entries::put);
    ModelRuntime b = restored(a, saved, entries);
    assertThat(b.toBytes()).as("restored byte for byte").isEqualTo(a.toBytes());
    learnOnly(a, 100, 40);
    learnOnly(b, 100, 40);
    assertThat(b.toBytes()).as("and carries on identically").isEqualTo(a.toBytes());
  }

  /**
   * The head is written through one buffer kept for the next checkpoint: a head taken earlier keeps
   * its bytes when a later one is written, and each restores its own point.
   */
  @ParameterizedTest
  @ValueSource(strings = {"hiformer"})
  void aHeadTakenEarlierKeepsItsBytesWhenALaterOneIsWritten(String kind) throws Exception {
    ModelRuntime a = fresh(kind);
    Map<Long, byte[]> rows = new TreeMap<>();
    Map<Long, byte[]> entries = new TreeMap<>();
    learnOnly(a, 0, MICRO_BATCH * 2);
    a.drainUnsaved(rows::put, entries::put);
    byte[] early = a.headBytes();
    byte[] earlyCopy = early.clone();
    byte[] earlyWhole = a.toBytes();
    learnOnly(a, 100, MICRO_BATCH * 3);
    byte[] late = a.headBytes();
    assertThat(early).as("the earlier head, after a later write").isEqualTo(earlyCopy);
    assertThat(late).isNotEqualTo(early);
    ModelRuntime b =
        ModelRuntime.fromHeadAndRows(
            early,
            rows.entrySet(),
            entries.entrySet(),
            SPEC,
            OptimizerConfig.defaults(),
            MICRO_BATCH);
    assertThat(b.toBytes()).isEqualTo(earlyWhole);
  }

  /**
   * {@code n} examples with a new user each (so every micro-batch brings new rows), learned without
   * scoring.
   */
  private static void learnOnly(ModelRuntime r, int from, int n) throws Exception {
    for (int i = from; i < from + n; i++) {
      var row =
          JsonLinesReader.of(
              JSON.readTree(
                  "{\"user\": \"new"
                      + i
                      + "\", \"item\": \"i"
                      + i % 7
                      + "\", \"price\": "
                      + i % 50
                      + "}"),
              "e" + i);
      r.learnOnly(row, Map.of("click", i % 3 == 0 ? 1.0 : 0.0), 1_700_000_000_000L + i);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"hiformer", "hiformer+dcnv2+lr"})
  void headAndSavedRowsRestoreTheSameModelAndSavesFollowWhatChanged(String kind) throws Exception {
    ModelRuntime a = fresh(kind);
    Map<Long, byte[]> saved = new TreeMap<>();
    Map<Long, byte[]> entries = new TreeMap<>();
    feed(a, 0, 3000, 2000);
    int first = a.drainUnsaved(saved::put, entries::put)[0];
    byte[] head = a.headBytes();
    int tables = a.learner().model().tables().size();
    long rows = a.learner().model().tables().stream().mapToLong(t -> t.rows() - 1).sum();
    assertThat(first)
        .as("the first save holds every row")
        .isEqualTo((int) rows)
        .isEqualTo(saved.size());
    long cells =
        a.learner().model().tables().stream()
            .mapToLong(t -> (long) (t.rows() - 1) * ai.hiformer.model.nn.RowCopies.stateBytes(t))
            .sum();
    assertThat(a.toBytes().length - head.length)
        .as("the head holds no row cells")
        .isGreaterThanOrEqualTo((int) cells);

    feed(a, 3000, 32, 2000); // two micro-batches: a few dozen rows per table change
    int[] second2 = a.drainUnsaved(saved::put, entries::put);
    int second = second2[0];
    assertThat(second2[1])
        .as("vocabulary entries the 32 events touched")
        .isPositive()
        .isLessThanOrEqualTo(2 * 32);
    assertThat(second)
        .as("the second save: rows the 32 events touched")
        .isPositive()
        .isLessThanOrEqualTo(32 * 2 * tables);
    assertThat(a.drainUnsaved(saved::put, entries::put)[0]).as("nothing changed since").isZero();

    ModelRuntime b = restored(a, saved, entries);
    assertThat(b.toBytes()).as("restored byte for byte").isEqualTo(a.toBytes());
    assertThat(b.drainUnsaved((k, v) -> {}, (k, v) -> {}))
        .as("a restore leaves nothing to save")
        .containsExactly(0, 0);
    feed(a, 4000, 200, 2000);
    feed(b, 4000, 200, 2000);
    assertThat(b.toBytes()).as("and carries on identically").isEqualTo(a.toBytes());
  }

  @ParameterizedTest
  @ValueSource(strings = {"hiformer"})
  void aMissingOrMisshapenRowIsRefused(String kind) throws Exception {
    ModelRuntime a = fresh(kind);
    feed(a, 0, 500, 100);
    TreeMap<Long, byte[]> saved = new TreeMap<>();
    TreeMap<Long, byte[]> entries = new TreeMap<>();
    a.drainUnsaved(saved::put, entries::put);
    byte[] head = a.headBytes();

    TreeMap<Long, byte[]> missing = new TreeMap<>(saved);
    missing.pollLastEntry();
    assertThatThrownBy(
            () ->
                ModelRuntime.fromHeadAndRows(
                    head,
                    missing.entrySet(),
                    entries.entrySet(),
                    SPEC,
                    OptimizerConfig.defaults(),
                    MICRO_BATCH))
        .hasMessageContaining("were saved besides row 0");

    TreeMap<Long, byte[]> shortRow = new TreeMap<>(saved);
    shortRow.put(shortRow.firstKey(), new byte[3]);
    assertThatThrownBy(
            () ->
                ModelRuntime.fromHeadAndRows(
                    head,
                    shortRow.entrySet(),
                    entries.entrySet(),
                    SPEC,
                    OptimizerConfig.defaults(),
                    MICRO_BATCH))
        .hasMessageContaining("has 3 bytes");

    TreeMap<Long, byte[]> outside = new TreeMap<>(saved);
    outside.put(SavedRows.key(0, 1_000_000), saved.firstEntry().getValue());
    assertThatThrownBy(
            () ->
                ModelRuntime.fromHeadAndRows(
                    head,
                    outside.entrySet(),
                    entries.entrySet(),
                    SPEC,
                    OptimizerConfig.defaults(),
                    MICRO_BATCH))
        .hasMessageContaining("outside table");

    TreeMap<Long, byte[]> lostEntry = new TreeMap<>(entries);
    lostEntry.pollFirstEntry();
    assertThatThrownBy(
            () ->
                ModelRuntime.fromHeadAndRows(
                    head,
                    saved.entrySet(),
                    lostEntry.entrySet(),
                    SPEC,
                    OptimizerConfig.defaults(),
                    MICRO_BATCH))
        .hasMessageContaining("values restored");

    assertThatThrownBy(
            () -> ModelRuntime.fromBytes(head, SPEC, OptimizerConfig.defaults(), MICRO_BATCH))
        .as("a head is not a whole state")
        .hasMessageContaining("no rows stored here");
  }

  @ParameterizedTest
  @ValueSource(strings = {"hiformer"})
  void aStateWithRowsInlineRestoresAndItsFirstSaveWritesEveryRow(String kind) throws Exception {
    ModelRuntime a = fresh(kind);
    feed(a, 0, 500, 100);
    ModelRuntime b =
        ModelRuntime.fromHeadAndRows(
            a.toBytes(),
            Map.<Long, byte[]>of().entrySet(),
            Map.<Long, byte[]>of().entrySet(),
            SPEC,
            OptimizerConfig.defaults(),
            MICRO_BATCH);
    assertThat(b.toBytes()).isEqualTo(a.toBytes());
    long rows = b.learner().model().tables().stream().mapToLong(t -> t.rows() - 1).sum();
    assertThat(b.drainUnsaved((k, v) -> {}, (k, v) -> {})[0]).isEqualTo((int) rows);
  }

  /** A runtime restored as the job restores one: from {@code a}'s head and the saved entries. */
  private static ModelRuntime restored(
      ModelRuntime a, Map<Long, byte[]> rows, Map<Long, byte[]> entries) throws Exception {
    return ModelRuntime.fromHeadAndRows(
        a.headBytes(),
        rows.entrySet(),
        entries.entrySet(),
        SPEC,
        OptimizerConfig.defaults(),
        MICRO_BATCH);
  }
}
