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
import ai.hiformer.model.train.PeerExchangeState;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
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
    return JobConfig.builder()
        .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
        .set(JobConfig.MODEL_IDS, Set.of("a"))
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
            (ValidEvent v) -> LearnerPeers.key(v.modelId, MAPPING.learner(v, 2)),
            Types.STRING);
    h.setup();
    return h;
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
  void severalLearnersNeedHashedKeysAndScoringReplicas() {
    assertThatThrownBy(
            () ->
                JobConfig.builder()
                    .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
                    .set(JobConfig.MODEL_IDS, Set.of("a"))
                    .set(LearnerOptions.FEATURE_SPEC, ModelOperatorTest.SPEC)
                    .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).d(8).build())
                    .set(LearnerOptions.SCORING_PARALLELISM, 1)
                    .set(LearnerOptions.UPDATES_INTERVAL_MS, 1000L)
                    .set(LearnerOptions.PARALLELISM, 2)
                    .build())
        .hasMessageContaining("learn.parallelism = 2 needs hashed keys")
        .hasMessageContaining("field user has exact keys");
    assertThatThrownBy(
            () ->
                JobConfig.builder()
                    .set(JobConfig.BOOTSTRAP_SERVERS, "unused:9092")
                    .set(JobConfig.MODEL_IDS, Set.of("a"))
                    .set(LearnerOptions.FEATURE_SPEC, SPEC)
                    .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).d(8).build())
                    .set(LearnerOptions.SCORING_PARALLELISM, 0)
                    .set(LearnerOptions.PARALLELISM, 2)
                    .build())
        .hasMessageContaining("learn.parallelism = 2 needs scoring.parallelism > 0");
  }

  @Test
  void twoLearnersShareTheExamplesAndOneCommonState() throws Exception {
    now = 0;
    try (var h = harness()) {
      h.open();
      learn(h, 0, 200);
      LearnerPeers peers = peers(h);
      String second = LearnerPeers.key("a", 1);
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
      String second = LearnerPeers.key("a", 1);
      assertThat(peers.applied("a"))
          .as("exchanges go on after the restore")
          .isGreaterThan(appliedAtCut + 5);
      // Both learners' last deltas were delivered: both applied as many exchanges.
      assertThat(peers.applied(second)).isEqualTo(peers.applied("a"));
      assertThat(commonDense(peers, "a")).isDeepEqualTo(commonDense(peers, second));
    }
  }
}
