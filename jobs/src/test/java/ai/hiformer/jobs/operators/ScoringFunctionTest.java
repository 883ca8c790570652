package ai.hiformer.jobs.operators;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.jobs.stream.EventRow;
import ai.hiformer.jobs.stream.JobConfig;
import ai.hiformer.jobs.stream.ValidEvent;
import ai.hiformer.jobs.stream.ValidEventMapping;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.learner.ModelUpdate;
import ai.hiformer.learner.ScoringReplica;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.schemas.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The scoring operator under Flink's two-input test harness, fed model updates from a real learner:
 * events that arrive before their model's first full update wait and are then scored in arrival
 * order; every score names the version of the replica that made it and equals what a replica fed
 * the same updates gives; waiting events survive a restore; examples only to learn from and other
 * models' updates are not scored with.
 */
// javac's try lint: Flink's harnesses and iterators declare close() throws Exception.
@SuppressWarnings("try")
class ScoringFunctionTest {
  private static final String SPEC = ModelOperatorTest.SPEC;
  private static final int MICRO_BATCH = 8;

  private final LearnerOptions options =
      JobConfig.builder()
          .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
          .set(JobConfig.MODEL_IDS, Set.of("a", "b"))
          .set(LearnerOptions.FEATURE_SPEC, SPEC)
          .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).d(8).seed(2).build())
          .set(LearnerOptions.MICRO_BATCH, MICRO_BATCH)
          .set(LearnerOptions.UPDATES_INTERVAL_MS, 100L)
          .set(LearnerOptions.SCORING_PARALLELISM, 2)
          .build()
          .learnerOptions();

  private TwoInputStreamOperatorTestHarness<ValidEvent, PublishedUpdate, Scored> harness(
      OperatorSubtaskState from) throws Exception {
    return harness(from, false);
  }

  /**
   * With {@code batching}, the job's operator ({@link ScoringOperator}); else the function alone.
   */
  private TwoInputStreamOperatorTestHarness<ValidEvent, PublishedUpdate, Scored> harness(
      OperatorSubtaskState from, boolean batching) throws Exception {
    var function =
        new ScoringFunction<>(
            options, new ValidEventMapping(), TypeInformation.of(ValidEvent.class));
    var h =
        new TwoInputStreamOperatorTestHarness<>(
            batching ? new ScoringOperator<>(function) : new CoProcessOperator<>(function));
    h.setup();
    h.initializeState(from);
    h.open();
    return h;
  }

  private static Event event(String model, int i, boolean labelled) {
    return ModelOperatorTest.event(model, i, labelled);
  }

  /** A learner of model "a" that has trained {@code steps} micro-batches. */
  private ModelRuntime learner() {
    return new ModelRuntime(options.spec(), options.model(), options.optimizer(), MICRO_BATCH);
  }

  private static void train(ModelRuntime learner, int steps, int from) throws Exception {
    EventRow row = new EventRow();
    for (int i = from; i < from + steps * MICRO_BATCH; i++) {
      Event e = event("a", i, true);
      learner.learnOnly(row.reset(ValidEvent.of(e), "t"), e.getLabels(), 0);
    }
  }

  private static void assertScoredBy(List<Scored> got, ScoringReplica replica, List<Event> events)
      throws Exception {
    EventRow row = new EventRow();
    assertThat(got)
        .extracting(s -> s.requestId)
        .containsExactlyElementsOf(events.stream().map(Event::getRequestId).toList());
    for (int k = 0; k < got.size(); k++) {
      assertThat(got.get(k).modelVersion).isEqualTo(replica.version());
      double want = replica.score(row.reset(ValidEvent.of(events.get(k)), "t"))[0];
      assertThat(got.get(k).scores.get("click"))
          .as("score of %s", got.get(k).requestId)
          .isEqualTo(want);
    }
  }

  @Test
  void eventsWaitForTheFirstFullUpdateThenEachScoreNamesTheReplicaVersionThatMadeIt()
      throws Exception {
    ModelRuntime learner = learner();
    ScoringReplica reference = new ScoringReplica(options.spec(), options.model());
    try (var h = harness(null)) {
      List<Event> early = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        early.add(event("a", 1000 + i, i % 2 == 0));
        h.processElement1(new StreamRecord<>(ValidEvent.of(early.get(i))));
      }
      assertThat(HarnessOutput.drain(h)).as("no model yet: nothing is scored").isEmpty();

      train(learner, 2, 0);
      ModelUpdate base = learner.updates().capture(true, true);
      assertThat(reference.apply(base)).isTrue();
      h.processElement2(new StreamRecord<>(new PublishedUpdate("a", base.bytes())));
      List<Scored> first = HarnessOutput.drain(h);
      assertScoredBy(first, reference, early);
      assertThat(first.get(0).modelVersion).isEqualTo(2);

      train(learner, 3, 100);
      ModelUpdate next = learner.updates().capture(false, true);
      assertThat(reference.apply(next)).isTrue();
      h.processElement2(new StreamRecord<>(new PublishedUpdate("a", next.bytes())));
      h.processElement2(
          new StreamRecord<>(new PublishedUpdate("a", next.bytes()))); // a repeat changes nothing
      List<Event> later = List.of(event("a", 2000, false), event("a", 2001, true));
      for (Event e : later) {
        h.processElement1(new StreamRecord<>(ValidEvent.of(e)));
      }
      assertScoredBy(HarnessOutput.drain(h), reference, later);
      assertThat(reference.version()).isEqualTo(5);

      ValidEvent joined = ValidEvent.of(event("a", 3000, true));
      joined.trainOnly = true;
      h.processElement1(new StreamRecord<>(joined));
      assertThat(HarnessOutput.drain(h))
          .as("an example only to learn from is not scored again")
          .isEmpty();

      h.processElement1(new StreamRecord<>(ValidEvent.of(event("b", 1, false))));
      assertThat(HarnessOutput.drain(h))
          .as("model b has no replica: a's updates do not score it")
          .isEmpty();
    }
  }

  @Test
  void eventsWaitingForTheirModelSurviveARestoreAndAreScoredByTheFirstFullUpdateAfterIt()
      throws Exception {
    OperatorSubtaskState saved;
    List<Event> waiting = List.of(event("a", 1, false), event("a", 2, true), event("a", 3, false));
    try (var h = harness(null)) {
      for (Event e : waiting) {
        h.processElement1(new StreamRecord<>(ValidEvent.of(e)));
      }
      saved = h.snapshot(1, 1);
    }
    ModelRuntime learner = learner();
    train(learner, 1, 0);
    ModelUpdate base = learner.updates().capture(true, true);
    ScoringReplica reference = new ScoringReplica(options.spec(), options.model());
    reference.apply(base);
    try (var h = harness(saved)) {
      assertThat(HarnessOutput.drain(h)).isEmpty();
      ModelUpdate increment = learner.updates().capture(false, true);
      h.processElement2(new StreamRecord<>(new PublishedUpdate("a", increment.bytes())));
      assertThat(HarnessOutput.drain(h)).as("an increment cannot start a replica").isEmpty();
      learner = learner();
      train(learner, 1, 0);
      base = learner.updates().capture(true, true);
      reference = new ScoringReplica(options.spec(), options.model());
      reference.apply(base);
      h.processElement2(new StreamRecord<>(new PublishedUpdate("a", base.bytes())));
      assertScoredBy(HarnessOutput.drain(h), reference, waiting);
    }
  }

  /** Scores equal to a replica's one-row scores up to the batched pass's float rounding. */
  private static void assertScoredTogetherBy(
      List<Scored> got, ScoringReplica replica, List<Event> events) throws Exception {
    EventRow row = new EventRow();
    assertThat(got)
        .extracting(s -> s.requestId)
        .containsExactlyElementsOf(events.stream().map(Event::getRequestId).toList());
    for (int k = 0; k < got.size(); k++) {
      double want = replica.score(row.reset(ValidEvent.of(events.get(k)), "t"))[0];
      assertThat(got.get(k).scores.get("click"))
          .as("score of %s", got.get(k).requestId)
          .isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5));
    }
  }

  /** A batching scorer whose replica of model "a" has the learner's first update. */
  private TwoInputStreamOperatorTestHarness<ValidEvent, PublishedUpdate, Scored> batchingScorer(
      ScoringReplica reference) throws Exception {
    ModelRuntime learner = learner();
    train(learner, 2, 0);
    ModelUpdate base = learner.updates().capture(true, true);
    assertThat(reference.apply(base)).isTrue();
    var h = harness(null, true);
    h.setProcessingTime(0);
    h.processElement2(new StreamRecord<>(new PublishedUpdate("a", base.bytes())));
    return h;
  }

  private static List<Event> send(
      TwoInputStreamOperatorTestHarness<ValidEvent, PublishedUpdate, Scored> h, int from, int n)
      throws Exception {
    List<Event> sent = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      sent.add(event("a", i, false));
      h.processElement1(new StreamRecord<>(ValidEvent.of(sent.get(sent.size() - 1))));
    }
    return sent;
  }

  /**
   * Events that arrive within the same millisecond, once enough have (the scorer averages the time
   * between arrivals), are staged and scored in one pass when their wait ends, in arrival order,
   * each as the replica scores it alone to float rounding; 64 staged are scored at once.
   */
  @Test
  void eventsArrivingFasterThanABatchFillsAreScoredTogetherWhenTheWaitEnds() throws Exception {
    ScoringReplica reference = new ScoringReplica(options.spec(), options.model());
    try (var h = batchingScorer(reference)) {
      List<Event> sent = send(h, 0, 300);
      List<Scored> got = new ArrayList<>(HarnessOutput.drain(h));
      assertThat(got.size()).as("some wait, staged").isLessThan(300);
      h.setProcessingTime(1); // scoring.batch-wait-ms = 1
      got.addAll(HarnessOutput.drain(h));
      assertScoredTogetherBy(got, reference, sent);
    }
  }

  /** Events a few milliseconds apart cannot fill a batch: each is scored on arrival. */
  @Test
  void eventsArrivingSlowlyAreScoredOnArrival() throws Exception {
    ScoringReplica reference = new ScoringReplica(options.spec(), options.model());
    try (var h = batchingScorer(reference)) {
      for (int i = 0; i < 40; i++) {
        h.setProcessingTime(5L * i);
        List<Event> sent = send(h, i, 1);
        assertScoredBy(HarnessOutput.drain(h), reference, sent);
      }
    }
  }

  /**
   * Staged events are scored before a checkpoint barrier (their scores belong to their events'
   * checkpoint) and before a model update is applied (with the version they arrived under).
   */
  @Test
  void stagedEventsAreScoredBeforeABarrierAndBeforeAnUpdate() throws Exception {
    ScoringReplica reference = new ScoringReplica(options.spec(), options.model());
    try (var h = batchingScorer(reference)) {
      send(h, 0, 300);
      h.setProcessingTime(1);
      HarnessOutput.drain(h);
      List<Event> staged = send(h, 1000, 20);
      assertThat(HarnessOutput.drain(h)).as("staged, waiting").isEmpty();
      h.prepareSnapshotPreBarrier(1);
      assertScoredTogetherBy(HarnessOutput.drain(h), reference, staged);

      List<Event> beforeUpdate = send(h, 2000, 20);
      long version = reference.version();
      ModelRuntime learner = learner();
      train(learner, 3, 0);
      h.processElement2(
          new StreamRecord<>(
              new PublishedUpdate("a", learner.updates().capture(true, true).bytes())));
      List<Scored> got = HarnessOutput.drain(h);
      assertScoredTogetherBy(got, reference, beforeUpdate);
      assertThat(got).allSatisfy(s -> assertThat(s.modelVersion).isEqualTo(version));
    }
  }
}
