package ai.hiformer.jobs.operators;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.jobs.stream.EventRow;
import ai.hiformer.jobs.stream.JobConfig;
import ai.hiformer.jobs.stream.SavepointExport;
import ai.hiformer.jobs.stream.ValidEvent;
import ai.hiformer.jobs.stream.ValidEventMapping;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.schemas.Event;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model operator under Flink's keyed operator test harness: one state entry per model id that
 * has seen events, written at the checkpoint; the idle-flush timer; snapshots written only once
 * their checkpoint completes; a snapshot restored into a fresh operator carries on with the same
 * model bytes; and model ids that never see each other's examples.
 */
// javac's try lint: Flink's harnesses and iterators declare close() throws Exception.
@SuppressWarnings("try")
class ModelOperatorTest {
  /** user, item, price: shared with ScoringFunctionTest. */
  static final String SPEC =
      """
      {"name": "h", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";

  private static final int MICRO_BATCH = 8;
  private static final long FLUSH_IDLE_MS = 1000;

  @TempDir Path snapshots;

  /**
   * Models {@code models} of a small Hiformer (d = 8) learning in micro-batches of {@link
   * #MICRO_BATCH}, scoring as they learn; no updates, no deltas.
   */
  private static JobConfig.Builder learningAndScoring(String... models) {
    return JobConfig.builder()
        .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
        .set(JobConfig.MODEL_IDS, Set.of(models))
        .set(LearnerOptions.FEATURE_SPEC, SPEC)
        .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).d(8).seed(2).build())
        .set(LearnerOptions.SCORING_PARALLELISM, 0) // this operator scores, as it learns
        .set(LearnerOptions.UPDATES_INTERVAL_MS, 0L)
        .set(LearnerOptions.DELTA_INTERVAL_MS, 0L)
        .set(LearnerOptions.MICRO_BATCH, MICRO_BATCH);
  }

  private JobConfig config() {
    return learningAndScoring("a", "b")
        .set(LearnerOptions.FLUSH_IDLE_MS, FLUSH_IDLE_MS)
        .set(LearnerOptions.SNAPSHOT_DIR, snapshots.toString())
        .set(LearnerOptions.SNAPSHOT_EVERY_EXAMPLES, (long) MICRO_BATCH)
        .build();
  }

  private KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> harness()
      throws Exception {
    return harness(config().learnerOptions());
  }

  private KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> harness(
      LearnerOptions options) throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new ModelOperator<>(new ModelFunction<>(options, new ValidEventMapping())),
            (ValidEvent v) -> v.modelId,
            Types.STRING);
    h.setup();
    return h;
  }

  /** Subtask {@code subtask} of {@code parallelism}, with {@link #KEY_GROUPS} key groups. */
  private static KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> harness(
      LearnerOptions options, int parallelism, int subtask) throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new ModelOperator<>(new ModelFunction<>(options, new ValidEventMapping())),
            (ValidEvent v) -> v.modelId,
            Types.STRING,
            KEY_GROUPS,
            parallelism,
            subtask);
    h.setup();
    return h;
  }

  private static final int KEY_GROUPS = 128;

  /**
   * Event {@code i} of {@code model}: 7 users, 5 items, 11 prices; a click on every third when
   * labelled.
   */
  static Event event(String model, int i, boolean labelled) {
    return Event.newBuilder()
        .setRequestId(model + i)
        .setModelId(model)
        .setEventTime(Instant.ofEpochSecond(1_700_000_000L + i))
        .setCategorical(Map.of("user", "u" + i % 7, "item", "i" + i % 5))
        .setNumeric(Map.of("price", (double) (i % 11)))
        .setLabels(labelled ? Map.of("click", i % 3 == 0 ? 1.0 : 0.0) : Map.of())
        .build();
  }

  private static void send(
      KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> h, Event e)
      throws Exception {
    h.processElement(new StreamRecord<>(ValidEvent.of(e)));
  }

  /** The model head bytes of each key, as the last checkpoint saved them. */
  private static Map<String, byte[]> stateByKey(
      KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> h) throws Exception {
    return ((ModelOperator<?>) h.getOperator()).heads().saved();
  }

  /**
   * The model of {@code key} as its state holds it: the head and the rows and vocabulary values
   * saved apart.
   */
  private static ModelRuntime restoredRuntime(
      KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> h, String key)
      throws Exception {
    KeyedStateBackend<String> backend = h.getOperator().getKeyedStateBackend();
    backend.setCurrentKey(key);
    byte[] head = stateByKey(h).get(key);
    var rows =
        backend
            .getPartitionedState(
                VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, ModelFunction.ROWS)
            .entries();
    var entries =
        backend
            .getPartitionedState(
                VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, ModelFunction.VOCABULARY)
            .entries();
    return ModelRuntime.fromHeadAndRows(
        head, rows, entries, null, OptimizerConfig.defaults(), MICRO_BATCH);
  }

  @Test
  void stateHoldsOneEntryPerModelIdWrittenAtTheCheckpointAndKeysDoNotShareLearning()
      throws Exception {
    try (var h = harness()) {
      h.open();
      for (int i = 0; i < 2 * MICRO_BATCH; i++) {
        send(h, event("a", i, true));
      }
      assertThat(stateByKey(h)).as("nothing is written to state between checkpoints").isEmpty();
      h.snapshot(1, 100);
      assertThat(stateByKey(h)).containsOnlyKeys("a");
      List<Scored> aScores = HarnessOutput.drain(h);
      assertThat(aScores).extracting(x -> x.modelVersion).contains(0L, 1L); // a learned: two steps

      // b's first events score as a fresh model would: nothing of a's learning reached b.
      ModelRuntime fresh =
          new ModelRuntime(
              FeatureSpec.parse(SPEC), config().model(), OptimizerConfig.defaults(), MICRO_BATCH);
      EventRow row = new EventRow();
      for (int i = 0; i < 3; i++) {
        Event e = event("b", i, true);
        send(h, e);
        double expected =
            fresh.scoreAndLearn(row.reset(ValidEvent.of(e), "t"), e.getLabels(), 0)[0];
        Scored got = HarnessOutput.drain(h).get(0);
        assertThat(got.modelId).isEqualTo("b");
        assertThat(got.modelVersion).isZero();
        assertThat(got.scores.get("click")).as("b's score of event %d", i).isEqualTo(expected);
      }
      h.snapshot(2, 200);
      Map<String, byte[]> state = stateByKey(h);
      assertThat(state).containsOnlyKeys("a", "b");
      ModelRuntime a = restoredRuntime(h, "a");
      ModelRuntime b = restoredRuntime(h, "b");
      assertThat(a.version()).isEqualTo(2);
      assertThat(a.scored()).isEqualTo(2 * MICRO_BATCH);
      assertThat(b.version()).isZero();
      assertThat(b.pendingExamples())
          .as("b's labelled events wait in its own micro-batch")
          .isEqualTo(3);
    }
  }

  @Test
  void modelUpdatesComeEveryIntervalFullFirstThenBaseSlicesAndALateReaderAssemblesItsModelFromThem()
      throws Exception {
    LearnerOptions options =
        learningAndScoring("a")
            .set(LearnerOptions.FLUSH_IDLE_MS, 600_000L)
            .set(LearnerOptions.UPDATES_INTERVAL_MS, 100L)
            .set(LearnerOptions.UPDATES_BASE_SLICES, 3)
            .set(JobConfig.UPDATES_TOPIC, "model-updates")
            .build()
            .learnerOptions();
    int ticks = 9;
    List<ai.hiformer.learner.ModelUpdate> updates = new ArrayList<>(); // what the topic gets
    List<ai.hiformer.learner.ModelUpdate> toReplicas = new ArrayList<>();
    try (var h = harness(options)) {
      h.open();
      h.setProcessingTime(0);
      for (int tick = 1; tick <= ticks; tick++) {
        for (int i = 0; i < MICRO_BATCH; i++) {
          send(h, eventOfNewUser(tick * 100 + i)); // rows and owners are created every tick
        }
        h.setProcessingTime(100L * tick); // one update due per interval
        assertThat(h.getSideOutput(ModelFunction.REPLICA_UPDATES))
            .as("replica updates after interval %d", tick)
            .hasSize(tick);
      }
      h.getSideOutput(ModelFunction.REPLICA_UPDATES)
          .forEach(r -> toReplicas.add(ai.hiformer.learner.ModelUpdate.of(r.getValue().update)));
      h.getSideOutput(ModelFunction.UPDATES)
          .forEach(r -> updates.add(ai.hiformer.learner.ModelUpdate.of(r.getValue().update)));
    }
    assertThat(toReplicas)
        .extracting(ModelOperatorTest::label)
        .as("replicas: full first, then changes only")
        .containsExactly("1F", "2", "3", "4", "5", "6", "7", "8", "9");
    assertThat(toReplicas.get(ticks - 1).version()).as("a step per interval").isEqualTo(ticks);
    // The topic: the same updates, each but the full one followed by a slice of a base cut in
    // three.
    assertThat(updates)
        .extracting(ModelOperatorTest::label)
        .containsExactly(
            "1F", "2", "2S0", "3", "3S1", "4", "4S2", "5", "5S0", "6", "6S1", "7", "7S2", "8",
            "8S0", "9", "9S1");
    assertThat(
            JobConfig.builder()
                .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
                .set(JobConfig.MODEL_IDS, Set.of("a"))
                .set(LearnerOptions.FEATURE_SPEC, SPEC)
                .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).build())
                .set(LearnerOptions.SCORING_PARALLELISM, 0) // this operator scores, as it learns
                .set(LearnerOptions.UPDATES_INTERVAL_MS, 0L)
                .set(LearnerOptions.DELTA_INTERVAL_MS, 0L)
                .set(LearnerOptions.UPDATES_BASE_SLICES, 3)
                .build()
                .learnerOptions()
                .get(LearnerOptions.UPDATES_BASE_SLICES))
        .as("no topic, so no reader of bases: none made")
        .isZero();

    var spec = FeatureSpec.parse(SPEC);
    var config = ModelConfig.builder(ModelKind.HIFORMER).d(8).build();
    var all = new ai.hiformer.learner.ScoringReplica(spec, config);
    int applied = 0;
    for (var u : updates) {
      applied += all.apply(u) ? 1 : 0;
    }
    assertThat(applied).as("a reader of every update skips the slices").isEqualTo(ticks);
    // A reader joining at sequence 3 waits for a first slice (5S0), and has a whole model at 7S2.
    var late = new ai.hiformer.learner.ScoringReplica(spec, config);
    int joined =
        updates.indexOf(
            updates.stream().filter(u -> label(u).equals("3")).findFirst().orElseThrow());
    for (int k = joined; k < updates.size(); k++) {
      late.apply(updates.get(k));
      assertThat(late.ready())
          .as("whole after %s", label(updates.get(k)))
          .isEqualTo(
              k
                  >= updates.indexOf(
                      updates.stream()
                          .filter(u -> label(u).equals("7S2"))
                          .findFirst()
                          .orElseThrow()));
    }
    assertThat(late.version()).isEqualTo(all.version());
    EventRow row = new EventRow();
    for (int i = 0; i < 20; i++) {
      for (int tick :
          new int[] {
            1, 3, 5, 9
          }) { // values first seen before, during and after the late reader's cycle
        var r = row.reset(ValidEvent.of(eventOfNewUser(tick * 100 + i % MICRO_BATCH)), "t");
        double want = all.score(r)[0];
        assertThat(late.score(r)[0]).as("probe %d of tick %d", i, tick).isEqualTo(want);
      }
    }
  }

  /** A labelled event of model "a" whose user is seen for the first time. */
  private static Event eventOfNewUser(int i) {
    Event e = event("a", i, true);
    e.setCategorical(Map.of("user", "new-user-" + i, "item", "i" + i % 5));
    return e;
  }

  private static String label(ai.hiformer.learner.ModelUpdate u) {
    return u.sequence() + (u.full() ? "F" : u.slice() ? "S" + u.sliceIndex() : "");
  }

  @Test
  void anIdleMicroBatchIsTrainedByTheFlushTimer() throws Exception {
    try (var h = harness()) {
      h.open();
      h.setProcessingTime(0);
      for (int i = 0; i < 3; i++) {
        send(h, event("a", i, true));
      }
      assertThat(h.numProcessingTimeTimers()).as("an idle-flush timer").isPositive();
      h.setProcessingTime(10 * FLUSH_IDLE_MS);
      send(h, event("a", 3, false));
      List<Scored> scores = HarnessOutput.drain(h);
      assertThat(scores).extracting(x -> x.modelVersion).containsExactly(0L, 0L, 0L, 1L);
    }
  }

  @Test
  void snapshotsAreWrittenOnlyOnceTheirCheckpointCompletes() throws Exception {
    try (var h = harness()) {
      h.open();
      for (int i = 0; i < MICRO_BATCH; i++) {
        send(h, event("a", i, true));
      }
      h.snapshot(1, 100);
      assertThat(snapshots.resolve("a").resolve("v000000000001")).doesNotExist(); // only staged
      h.notifyOfCompletedCheckpoint(1);
      assertThat(snapshots.resolve("a").resolve("v000000000001").resolve("manifest.json")).exists();
      assertThat(entries(snapshots.resolve("a"))).isEqualTo(1); // the staging area gone
    }
  }

  @Test
  void whatAFailedAttemptStagedIsSweptOnceALaterCheckpointCompletes() throws Exception {
    try (var h = harness()) { // stages at checkpoint 1, then fails before it completes
      h.open();
      for (int i = 0; i < MICRO_BATCH; i++) {
        send(h, event("a", i, true));
      }
      h.snapshot(1, 100);
    }
    assertThat(snapshots.resolve("a").resolve(".staged").resolve("1-0")).isDirectory();
    try (var again = harness()) { // starts over (checkpoint 1 never completed)
      again.open();
      for (int i = 0; i < MICRO_BATCH; i++) {
        send(again, event("a", i, true));
      }
      again.snapshot(2, 200);
      again.notifyOfCompletedCheckpoint(2);
      assertThat(snapshots.resolve("a").resolve("v000000000001").resolve("manifest.json")).exists();
      assertThat(snapshots.resolve("a").resolve(".staged")).doesNotExist();
    }
  }

  @Test
  void aSnapshotWhoseCheckpointCompletedIsWrittenByTheJobThatRestoresIt() throws Exception {
    // The job fails after checkpoint 1 completed but before the operator heard of it: the restored
    // model counts the snapshot as taken, so the restore must write it.
    OperatorSubtaskState checkpoint;
    try (var h = harness()) {
      h.open();
      for (int i = 0; i < MICRO_BATCH; i++) {
        send(h, event("a", i, true));
      }
      checkpoint = h.snapshot(1, 100);
    }
    assertThat(snapshots.resolve("a").resolve("v000000000001")).doesNotExist();
    try (var restored = harness()) {
      restored.initializeState(checkpoint);
      restored.open();
      assertThat(snapshots.resolve("a").resolve("v000000000001").resolve("manifest.json")).exists();
      assertThat(entries(snapshots.resolve("a"))).isEqualTo(1);
    }
  }

  @Test
  void onlyTheNewestSnapshotVersionsAreKept() throws Exception {
    try (var h = harness()) {
      h.open();
      for (int step = 1; step <= 5; step++) {
        for (int i = 0; i < MICRO_BATCH; i++) {
          send(h, event("a", step * 100 + i, true));
        }
        h.snapshot(step, step * 100L);
        h.notifyOfCompletedCheckpoint(step);
      }
      try (var s = Files.list(snapshots.resolve("a"))) {
        assertThat(s.map(p -> p.getFileName().toString()).sorted())
            .as("snapshot.keep = 3 by default")
            .containsExactly("v000000000003", "v000000000004", "v000000000005");
      }
    }
  }

  @Test
  void aRestoredOperatorCarriesOnWithTheSameModelBytes() throws Exception {
    OperatorSubtaskState checkpoint;
    List<Scored> expected;
    Map<String, byte[]> expectedState;
    try (var h = harness()) {
      h.open();
      for (int i = 0; i < 21; i++) { // mid micro-batch for both keys
        send(h, event(i % 2 == 0 ? "a" : "b", i, i % 4 != 3));
      }
      checkpoint = h.snapshot(1, 100);
      HarnessOutput.drain(h);
      for (int i = 21; i < 60; i++) {
        send(h, event(i % 2 == 0 ? "a" : "b", i, i % 4 != 3));
      }
      expected = HarnessOutput.drain(h);
      h.snapshot(2, 200);
      expectedState = stateByKey(h);
    }
    try (var restored = harness()) {
      restored.initializeState(checkpoint);
      restored.open();
      for (int i = 21; i < 60; i++) {
        send(restored, event(i % 2 == 0 ? "a" : "b", i, i % 4 != 3));
      }
      List<Scored> got = HarnessOutput.drain(restored);
      assertThat(got).hasSameSizeAs(expected);
      for (int i = 0; i < got.size(); i++) {
        assertThat(got.get(i).requestId).isEqualTo(expected.get(i).requestId);
        assertThat(got.get(i).modelVersion).isEqualTo(expected.get(i).modelVersion);
        assertThat(got.get(i).scores).isEqualTo(expected.get(i).scores);
      }
      restored.snapshot(2, 200);
      Map<String, byte[]> state = stateByKey(restored);
      assertThat(state.keySet()).isEqualTo(expectedState.keySet());
      for (String key : state.keySet()) {
        assertThat(state.get(key)).as("model bytes of %s", key).isEqualTo(expectedState.get(key));
      }
    }
  }

  @Test
  void afterRescalingEachSubtaskKeepsTheHeadsOfItsOwnModelsAndCarriesOnWithThem() throws Exception {
    List<String> models = List.of("a", "b", "c", "d", "e", "f");
    LearnerOptions options =
        learningAndScoring(models.toArray(String[]::new)).build().learnerOptions();
    OperatorSubtaskState checkpoint;
    List<Scored> expected;
    try (var h = harness(options, 1, 0)) {
      h.open();
      for (int i = 0; i < 60; i++) {
        send(h, event(models.get(i % 6), i, true));
      }
      checkpoint = h.snapshot(1, 100);
      HarnessOutput.drain(h);
      for (int i = 60; i < 120; i++) {
        send(h, event(models.get(i % 6), i, true));
      }
      expected = HarnessOutput.drain(h);
    }
    Map<String, Scored> got = new java.util.HashMap<>();
    for (int subtask = 0; subtask < 2; subtask++) {
      int me = subtask;
      List<String> mine =
          models.stream()
              .filter(
                  m -> KeyGroupRangeAssignment.assignKeyToParallelOperator(m, KEY_GROUPS, 2) == me)
              .toList();
      assertThat(mine).as("models of subtask %d", subtask).isNotEmpty().hasSizeLessThan(6);
      try (var r = harness(options, 2, subtask)) {
        r.initializeState(
            AbstractStreamOperatorTestHarness.repartitionOperatorState(
                checkpoint, KEY_GROUPS, 1, 2, subtask));
        r.open();
        r.snapshot(2, 200);
        assertThat(stateByKey(r).keySet())
            .as("the heads subtask %d keeps of all it was given", subtask)
            .containsExactlyInAnyOrderElementsOf(mine);
        for (int i = 60; i < 120; i++) {
          if (mine.contains(models.get(i % 6))) {
            send(r, event(models.get(i % 6), i, true));
          }
        }
        HarnessOutput.drain(r).forEach(x -> got.put(x.requestId, x));
      }
    }
    assertThat(got).hasSameSizeAs(expected);
    for (Scored e : expected) {
      assertThat(got.get(e.requestId).modelVersion).isEqualTo(e.modelVersion);
      assertThat(got.get(e.requestId).scores).as(e.requestId).isEqualTo(e.scores);
    }
  }

  @Test
  void aHeadAnEarlierVersionSavedInKeyedStateIsReadAndMovedToTheHeadStore() throws Exception {
    OperatorSubtaskState earlier;
    OperatorSubtaskState current;
    byte[] learner;
    List<Scored> expected;
    try (var h = harness(config().learnerOptions(), 1, 0)) {
      h.open();
      for (int i = 0; i < 21; i++) {
        send(h, event("a", i, true));
      }
      h.snapshot(1, 100);
      // What an earlier version saved: the same head, in keyed state, and no operator state.
      h.getOperator().getKeyedStateBackend().setCurrentKey("a");
      keyedHead(h).update(stateByKey(h).get("a"));
      current = h.snapshot(2, 200);
      learner = ((ModelOperator<?>) h.getOperator()).function().runtimes().get("a").learnerBytes();
      earlier =
          OperatorSubtaskState.builder()
              .setManagedKeyedState(current.getManagedKeyedState())
              .setRawKeyedState(current.getRawKeyedState())
              .build();
      HarnessOutput.drain(h);
      for (int i = 21; i < 50; i++) {
        send(h, event("a", i, true));
      }
      expected = HarnessOutput.drain(h);
    }
    // hiformer export reads both layouts.
    for (OperatorSubtaskState state : List.of(earlier, current)) {
      Path savepoint = Files.createTempDirectory(snapshots, "savepoint");
      OperatorState model =
          new OperatorState(
              "model", "model", OperatorIdentifier.forUid("model").getOperatorId(), 1, KEY_GROUPS);
      model.putState(0, state);
      try (var out = new DataOutputStream(Files.newOutputStream(savepoint.resolve("_metadata")))) {
        Checkpoints.storeCheckpointMetadata(
            new CheckpointMetadata(2, List.of(model), List.of()), out);
      }
      Path exported = snapshots.resolve("exported-" + savepoint.getFileName());
      assertThat(SavepointExport.export(savepoint.toUri().toString(), exported)).hasSize(1);
      assertThat(
              Files.readAllBytes(ModelSnapshot.directory(exported, "a", 2).resolve("learner.bin")))
          .isEqualTo(learner);
    }
    try (var restored = harness(config().learnerOptions(), 1, 0)) {
      restored.initializeState(earlier);
      restored.open();
      for (int i = 21; i < 50; i++) {
        send(restored, event("a", i, true));
      }
      List<Scored> got = HarnessOutput.drain(restored);
      assertThat(got)
          .extracting(x -> x.scores)
          .isEqualTo(expected.stream().map(x -> x.scores).toList());
      restored.snapshot(3, 300);
      assertThat(stateByKey(restored)).containsOnlyKeys("a");
      restored.getOperator().getKeyedStateBackend().setCurrentKey("a");
      assertThat(keyedHead(restored).value()).as("the head left in keyed state").isNull();
    }
  }

  private static ValueState<byte[]> keyedHead(
      KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> h) throws Exception {
    return h.getOperator()
        .getKeyedStateBackend()
        .getPartitionedState(
            VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, ModelFunction.HEAD);
  }

  /** The number of entries in {@code dir}. */
  private static long entries(Path dir) throws java.io.IOException {
    try (var list = Files.list(dir)) {
      return list.count();
    }
  }
}
