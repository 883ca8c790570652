package ai.hiformer.jobs.operators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.jobs.stream.JobConfig;
import ai.hiformer.jobs.stream.KafkaPeerChannel;
import ai.hiformer.jobs.stream.ValidEvent;
import ai.hiformer.jobs.stream.ValidEventMapping;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.train.PeerExchange;
import ai.hiformer.model.train.PeerExchangeState;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.runtime.operators.testutils.MockInputSplitProvider;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two learners of one model in the model operator ({@code learn.parallelism=2}), exchanging through
 * a topic of an in-process Kafka broker: each learns its share of the examples (by request id),
 * they apply the same exchanges and hold the same common state, and a restore from one checkpoint
 * reads the topic on from the position it kept, ignores what the old run sent after the cut, and
 * carries on, the deltas sent before the cut sent again.
 */
// javac's try lint: Flink's harnesses declare close() throws Exception.
@SuppressWarnings("try")
class LearnerExchangeITCase {
  private static final String SPEC =
      """
      {"name": "h", "format": "jsonl", "tasks": [{"name": "click"}],
       "embedding": {"keys": "hashed", "buckets": 512},
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";

  private static final ValidEventMapping MAPPING = new ValidEventMapping();

  private static LearnerOptions options() {
    return options("a", 100);
  }

  private static LearnerOptions options(String model, long waitMillis) {
    return JobConfig.builder()
        .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
        .set(JobConfig.MODEL_IDS, Set.of(model))
        .set(LearnerOptions.SYNC_WAIT_MS, waitMillis)
        .set(LearnerOptions.FEATURE_SPEC, SPEC)
        .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).d(8).seed(2).build())
        .set(LearnerOptions.SCORING_PARALLELISM, 1)
        .set(LearnerOptions.UPDATES_INTERVAL_MS, 60_000L)
        .set(LearnerOptions.MICRO_BATCH, 8)
        .set(LearnerOptions.PARALLELISM, 2)
        .set(LearnerOptions.SYNC_EXAMPLES, 8)
        .build()
        .learnerOptions();
  }

  private static EmbeddedKafka kafka;
  private static int topics;
  private String topic;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = new EmbeddedKafka();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  @BeforeEach
  void newTopic() throws Exception {
    topic = "exchange-" + topics++;
    kafka.createTopics(1, topic);
  }

  private KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> harness()
      throws Exception {
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new ModelOperator<>(
                new ModelFunction<>(options(), MAPPING),
                KafkaPeerChannel.factory(kafka.bootstrapServers(), topic)),
            (ValidEvent v) -> LearnerPeers.key(v.modelId, MAPPING.learner(v, 2), 2, 1),
            Types.STRING);
    h.setup();
    return h;
  }

  /** Subtask {@code index} of two running the learners of {@code model}, in job {@code job}. */
  private KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> subtask(
      String model, JobID job, int index, long waitMillis) throws Exception {
    MockEnvironment env =
        new MockEnvironmentBuilder()
            .setTaskName("learners")
            .setManagedMemorySize(3 * 1024 * 1024)
            .setInputSplitProvider(new MockInputSplitProvider())
            .setBufferSize(1024)
            .setMaxParallelism(MAX_PARALLELISM)
            .setParallelism(2)
            .setSubtaskIndex(index)
            .setJobID(job) // one job: one epoch for both subtasks
            .build();
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new ModelOperator<>(
                new ModelFunction<>(options(model, waitMillis), MAPPING),
                KafkaPeerChannel.factory(kafka.bootstrapServers(), topic)),
            (ValidEvent v) ->
                LearnerPeers.key(v.modelId, MAPPING.learner(v, 2), 2, MAX_PARALLELISM),
            Types.STRING,
            env);
    h.setup();
    return h;
  }

  private static final int MAX_PARALLELISM = 128;

  private static int subtaskOf(String key) {
    return KeyGroupRangeAssignment.assignKeyToParallelOperator(key, MAX_PARALLELISM, 2);
  }

  /** Labelled events of {@code model} that learner {@code index} of two learns, in order. */
  private static Iterator<StreamRecord<ValidEvent>> eventsOf(String model, int index) {
    return IntStream.iterate(0, i -> i + 1)
        .mapToObj(i -> ValidEvent.of(ModelOperatorTest.event(model, i, true)))
        .filter(v -> MAPPING.learner(v, 2) == index)
        .map(StreamRecord::new)
        .iterator();
  }

  /**
   * Learners on two subtasks (micro-batch 8, exchanges every 8: each steps on 4 examples and sends
   * after each step). One that is a whole period ahead waits for its peer's delta before it learns
   * on: for {@code learn.sync-wait-ms} in vain while the peer sends nothing, once per exchange and
   * not once per record; and only until the delta comes when the peer sends it meanwhile.
   */
  @Test
  void aLearnerAPeriodAheadWaitsForItsPeerOnAnotherSubtask() throws Exception {
    // Whatever the model id, its two learners' keys fall on distinct subtasks of two.
    for (String m : new String[] {"a", "b", "c", "d", "e", "f", "movielens", "synthetic"}) {
      assertThat(subtaskOf(LearnerPeers.key(m, 1, 2, MAX_PARALLELISM)))
          .as("learner 1 of %s", m)
          .isNotEqualTo(subtaskOf(m));
    }
    String model = "a";
    String first = LearnerPeers.key(model, 0, 2, MAX_PARALLELISM);
    String second = LearnerPeers.key(model, 1, 2, MAX_PARALLELISM);
    long waitMillis = 3000;
    JobID job = new JobID();
    try (var h0 = subtask(model, job, subtaskOf(first), waitMillis);
        var h1 = subtask(model, job, subtaskOf(second), waitMillis)) {
      h0.open();
      h1.open();
      Iterator<StreamRecord<ValidEvent>> ofFirst = eventsOf(model, 0);
      Iterator<StreamRecord<ValidEvent>> ofSecond = eventsOf(model, 1);
      LearnerPeers peers = peers(h0);
      for (int i = 0; i < 8; i++) { // a step, exchange 1 sent, a step: a whole period ahead
        h0.processElement(ofFirst.next());
      }
      assertThat(peers.exchange(first).waiting()).isTrue();
      assertThat(peers.waitsRunOut(first)).isZero();
      h0.processElement(ofFirst.next()); // waits in vain: the peer has not learnt anything
      assertThat(peers.waitsRunOut(first)).isEqualTo(1);
      assertThat(peers.waitedMillis(first)).isGreaterThanOrEqualTo(waitMillis);
      for (int i = 0; i < 8; i++) { // not again for the same exchange
        h0.processElement(ofFirst.next());
      }
      assertThat(peers.waitsRunOut(first)).isEqualTo(1);
      assertThat(peers.applied(first)).isZero();

      // The peer reads the first's exchange 1 before it has learnt anything, and answers at once
      // with what it has (nothing), which completes the exchange: a peer that waits is answered.
      now = 0;
      read(h1, 300);
      assertThat(runtimesOf(h1)).as("a delta delivered to the peer").containsKey(second);
      assertThat(peers(h1).applied(second)).as("answered at once").isEqualTo(1);
      assertThat(peers(h1).mergedExamples(second)).as("the first's examples").isPositive();
      // The first applies it and sends exchange 2 at once.
      while (peers.applied(first) == 0) {
        h0.processElement(ofFirst.next());
      }
      var runtime = runtimesOf(h0).get(first);
      while (!peers.ahead(first, runtime)) { // a step more: a period ahead again
        h0.processElement(ofFirst.next());
      }
      assertThat(peers.waitsRunOut(first)).isEqualTo(1);
      long waitedBefore = peers.waitedMillis(first);
      var peer =
          CompletableFuture.runAsync(
              () -> {
                try {
                  Thread.sleep(200);
                  for (int i = 0; i < 4; i++) { // a step, and exchange 2 sent
                    h1.processElement(ofSecond.next());
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      h0.processElement(ofFirst.next()); // waits until the peer's delta of exchange 2 comes
      peer.get();
      assertThat(peers.waitsRunOut(first)).as("the wait did not run out").isEqualTo(1);
      assertThat(peers.applied(first)).isEqualTo(2);
      assertThat(peers.waitedMillis(first)).isGreaterThan(waitedBefore);
    }
  }

  private static java.util.Map<String, ai.hiformer.learner.ModelRuntime> runtimesOf(
      KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> h) {
    return ((ModelOperator<?>) h.getOperator()).function().runtimes();
  }

  private long now;

  /**
   * Labelled events {@code from} .. {@code to − 1}, each followed by 20 ms of the operator reading
   * the topic; then a second more, so that every delta sent has been read.
   */
  private void learn(
      KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> h, int from, int to)
      throws Exception {
    for (int i = from; i < to; i++) {
      h.processElement(new StreamRecord<>(ValidEvent.of(ModelOperatorTest.event("a", i, true))));
      read(h, 20);
    }
    read(h, 1000);
  }

  /** Advances the operator's clock (its read timer fires every 5 ms) for {@code millis} of time. */
  private void read(
      KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> h, long millis)
      throws Exception {
    long until = System.currentTimeMillis() + millis;
    while (System.currentTimeMillis() < until) {
      now += 5;
      h.setProcessingTime(now);
      Thread.sleep(2);
    }
  }

  private static LearnerPeers peers(
      KeyedOneInputStreamOperatorTestHarness<String, ValidEvent, Scored> h) {
    return ((ModelOperator<?>) h.getOperator()).function().peers();
  }

  private static double[][] commonDense(LearnerPeers peers, String key) {
    return PeerExchangeState.decode(peers.state(key)).commonDense();
  }

  @Test
  void severalLearnersNeedHashedKeysAndScoringReplicasAndTakeAnyPeriod() {
    assertThatThrownBy(() -> twoLearners(ModelOperatorTest.SPEC).build())
        .hasMessageContaining("learn.parallelism = 2 needs hashed keys")
        .hasMessageContaining("field user has exact keys");
    assertThatThrownBy(() -> twoLearners(SPEC).set(LearnerOptions.SCORING_PARALLELISM, 0).build())
        .hasMessageContaining("learn.parallelism = 2 needs scoring.parallelism > 0");
    for (PeerExchange.Merge merge : PeerExchange.Merge.values()) {
      assertThat(
              twoLearners(SPEC)
                  .set(LearnerOptions.SYNC_EXAMPLES, 1024)
                  .set(LearnerOptions.EXCHANGE, merge)
                  .build())
          .as("merging %s, a period of several micro-batches", merge)
          .isNotNull();
    }
  }

  /** Two learners of model {@code a} with scoring replicas, on {@code spec}. */
  private static JobConfig.Builder twoLearners(String spec) {
    return JobConfig.builder()
        .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
        .set(JobConfig.MODEL_IDS, Set.of("a"))
        .set(LearnerOptions.FEATURE_SPEC, spec)
        .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).d(8).build())
        .set(LearnerOptions.SCORING_PARALLELISM, 1)
        .set(LearnerOptions.UPDATES_INTERVAL_MS, 1000L)
        .set(LearnerOptions.PARALLELISM, 2);
  }

  @Test
  void twoLearnersShareTheExamplesAndOneCommonState() throws Exception {
    now = 0;
    try (var h = harness()) {
      h.open();
      learn(h, 0, 200);
      LearnerPeers peers = peers(h);
      String second = LearnerPeers.key("a", 1, 2, 1);
      var runtimes = ((ModelOperator<?>) h.getOperator()).function().runtimes();
      assertThat(runtimes).containsOnlyKeys("a", second);
      long trained = runtimes.get("a").trainedExamples() + runtimes.get(second).trainedExamples();
      assertThat(runtimes.get("a").trainedExamples()).isBetween(60L, 140L);
      assertThat(
              trained
                  + runtimes.get("a").pendingExamples()
                  + runtimes.get(second).pendingExamples())
          .as("every example learnt by one learner")
          .isEqualTo(200);
      long applied = Math.min(peers.applied("a"), peers.applied(second));
      assertThat(applied).as("exchanges applied by both").isGreaterThan(5);
      // Both learners' last deltas were delivered: both applied as many exchanges.
      assertThat(peers.applied(second)).isEqualTo(peers.applied("a"));
      assertThat(commonDense(peers, "a")).isDeepEqualTo(commonDense(peers, second));
    }
  }

  @Test
  void aRestoredPairCarriesOnFromOneCheckpoint() throws Exception {
    OperatorSubtaskState cut;
    long appliedAtCut;
    now = 0;
    try (var h = harness()) {
      h.open();
      learn(h, 0, 120);
      // A delta in flight at the cut: sent, not read before the failure.
      h.processElement(new StreamRecord<>(ValidEvent.of(ModelOperatorTest.event("a", 120, true))));
      cut = h.snapshot(1, now);
      appliedAtCut = peers(h).applied("a");
      // The old run goes on after the cut and sends more, which the restored run must ignore.
      learn(h, 121, 131);
    }
    try (var h = harness()) {
      h.initializeState(cut);
      h.open();
      learn(h, 121, 300);
      LearnerPeers peers = peers(h);
      String second = LearnerPeers.key("a", 1, 2, 1);
      assertThat(peers.applied("a"))
          .as("exchanges go on after the restore")
          .isGreaterThan(appliedAtCut + 5);
      // Both learners' last deltas were delivered: both applied as many exchanges.
      assertThat(peers.applied(second)).isEqualTo(peers.applied("a"));
      assertThat(commonDense(peers, "a")).isDeepEqualTo(commonDense(peers, second));
    }
  }
}
