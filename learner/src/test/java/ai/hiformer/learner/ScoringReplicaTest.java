package ai.hiformer.learner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.optim.OptimizerConfig;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A read-only replica kept current by the learner's model updates scores exactly as the learner
 * would; it takes updates only in order within an epoch, and after the learner restores (a new
 * epoch) only from a full update.
 */
class ScoringReplicaTest {
  private static final FeatureSpec SPEC =
      FeatureSpec.parse(
          """
      {"name": "t", "format": "jsonl", "tasks": [{"name": "click"}, {"name": "buy"}],
       "embedding": {"keys": "exact", "capacity": 40},
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""");
  private static final int MICRO_BATCH = 16;

  private static Row row(int user, int item, int price, String id) throws Exception {
    return TestRows.userItemPrice(user, item, price, id);
  }

  /** n labelled events over 50 users (the capacity of 40 evicts and recycles ids) and 20 items. */
  private static void feed(ModelRuntime r, int from, int n) throws Exception {
    SplittableRandom rng = new SplittableRandom(from);
    for (int i = from; i < from + n; i++) {
      int user = rng.nextInt(50);
      int item = rng.nextInt(20);
      r.scoreAndLearn(
          row(user, item, rng.nextInt(100), "e" + i),
          Map.of("click", (user + item) % 3 == 0 ? 1.0 : 0.0, "buy", user % 2 == 0 ? 1.0 : 0.0),
          i);
    }
  }

  /**
   * The replica's scores equal the learner's (scoring without labels) on values the learner holds
   * now; a value it does not hold would get a fresh row from the learner and the out-of-vocabulary
   * row from the replica.
   */
  private static void assertScoresAsLearner(ScoringReplica replica, ModelRuntime learner, int from)
      throws Exception {
    SplittableRandom rng = new SplittableRandom(from);
    int compared = 0;
    for (int i = from; i < from + 60; i++) {
      int user = rng.nextInt(50);
      int item = rng.nextInt(20);
      if (learner.encoder().vocabulary(0).lookup("u" + user) == 0
          || learner.encoder().vocabulary(1).lookup("i" + item) == 0) {
        continue;
      }
      compared++;
      Row probe = row(user, item, rng.nextInt(100), "p" + i);
      double[] want = learner.scoreAndLearn(probe, Map.of(), i).clone();
      double[] got = replica.score(probe);
      for (int k = 0; k < want.length; k++) {
        assertThat(got[k]).as("probe %d task %d", i, k).isCloseTo(want[k], within(1e-12));
      }
    }
    assertThat(compared).as("probes on held values").isGreaterThan(20);
  }

  private static ModelRuntime fresh(String kind) {
    return new ModelRuntime(
        SPEC,
        ModelConfig.builder(kind).d(8).seed(7).build(),
        OptimizerConfig.defaults(),
        MICRO_BATCH);
  }

  private static ScoringReplica replica(String kind) {
    return new ScoringReplica(SPEC, ModelConfig.builder(kind).d(8).seed(123).build());
  }

  @ParameterizedTest
  @ValueSource(strings = {"hiformer", "dcnv2", "hiformer+dcnv2+lr"})
  void aReplicaFollowingTheUpdatesScoresAsTheLearner(String kind) throws Exception {
    ModelRuntime learner = fresh(kind);
    ScoringReplica replica = replica(kind);
    assertThat(replica.ready()).isFalse();
    feed(learner, 0, 300);
    assertThat(replica.apply(ModelUpdate.of(learner.updates().capture(true, true).bytes())))
        .isTrue();
    assertScoresAsLearner(replica, learner, 10_000);
    for (int round = 1; round <= 5; round++) {
      feed(learner, 1000 * round, 64);
      ModelUpdate u = ModelUpdate.of(learner.updates().capture(false, true).bytes());
      assertThat(replica.apply(u)).as("update %d", u.sequence()).isTrue();
      assertThat(replica.version()).isEqualTo(learner.version());
      assertScoresAsLearner(replica, learner, 10_000 + 100 * round);
    }
    ScoringReplica late = replica(kind);
    assertThat(late.apply(learner.updates().capture(false, true)))
        .as("a new replica waits for a full update")
        .isFalse();
    assertThat(late.apply(learner.updates().capture(true, true))).isTrue();
    assertScoresAsLearner(late, learner, 20_000);
    // Values only: a replica never trains, so its tables hold no optimiser state (half a learner's
    // row memory).
    for (int i = 0; i < late.model().tables().size(); i++) {
      var mine = late.model().tables().get(i);
      var theirs = learner.learner().model().tables().get(i);
      assertThat(mine.hasOptimizerState()).isFalse();
      assertThat(mine.rows()).isEqualTo(theirs.rows());
      assertThat(mine.storageBytes()).as("table %s", mine.name()).isLessThan(theirs.storageBytes());
    }
  }

  /**
   * A reader that passes on only what a {@link ReplicaPosition} takes hands a replica exactly the
   * updates it applies: a late joiner's increments and slices until a slice 0, then the cycle; and
   * no slice once it is whole.
   */
  @ParameterizedTest
  @ValueSource(strings = {"hiformer"})
  void aPositionPassesOnExactlyWhatTheReplicaTakes(String kind) throws Exception {
    ModelRuntime learner = fresh(kind);
    feed(learner, 0, 300);
    learner.updates().capture(true, true); // the full update, published before this reader joins
    java.util.List<ModelUpdate> stream = new java.util.ArrayList<>();
    for (int round = 1; round <= 7; round++) {
      feed(learner, 1000 * round, 32);
      stream.add(ModelUpdate.of(learner.updates().capture(false, true).bytes()));
      stream.add(ModelUpdate.of(learner.updates().baseSlice(3).bytes()));
    }
    ReplicaPosition position = new ReplicaPosition();
    ScoringReplica replica = replica(kind);
    int passed = 0;
    int slicesPassedWhole = 0;
    for (ModelUpdate u : stream) {
      boolean wholeBefore = position.whole();
      if (position.takes(u)) {
        position.moveTo(u);
        passed++;
        slicesPassedWhole += wholeBefore && u.slice() ? 1 : 0;
        assertThat(replica.apply(u))
            .as("update %d (slice %s) taken by the replica", u.sequence(), u.slice())
            .isTrue();
      } else {
        assertThat(replica.apply(u))
            .as("update %d (slice %s) skipped by the replica", u.sequence(), u.slice())
            .isFalse();
      }
      assertThat(position.whole()).isEqualTo(replica.ready());
      assertThat(position.version()).isEqualTo(replica.version());
    }
    assertThat(replica.ready()).as("a whole base cycle went by").isTrue();
    assertThat(slicesPassedWhole).as("no slice once whole").isZero();
    assertThat(passed).as("some updates passed, some held back").isBetween(1, stream.size() - 1);
    assertScoresAsLearner(replica, learner, 50_000);
  }

  @ParameterizedTest
  @ValueSource(strings = {"hiformer"})
  void updatesApplyInOrderAndARestoredLearnerStartsANewEpoch(String kind) throws Exception {
    ModelRuntime learner = fresh(kind);
    ScoringReplica replica = replica(kind);
    feed(learner, 0, 300);
    ModelUpdate full = learner.updates().capture(true, true);
    assertThat(replica.apply(full)).isTrue();
    feed(learner, 1000, 32);
    ModelUpdate first = learner.updates().capture(false, false);
    assertThat(first.bytes().length)
        .as("32 events' rows and owners, no dense weights")
        .isLessThan(full.bytes().length / 4);
    feed(learner, 2000, 32);
    ModelUpdate second = learner.updates().capture(false, true);
    assertThat(replica.apply(second)).as("one missed: the next is refused").isFalse();
    assertThat(replica.apply(first)).isTrue();
    assertThat(replica.apply(first)).as("a repeat is ignored").isFalse();
    assertThat(replica.apply(second)).isTrue();
    assertScoresAsLearner(replica, learner, 30_000);

    Thread.sleep(2); // a later epoch on the millisecond clock
    ModelRuntime restored =
        ModelRuntime.fromBytes(learner.toBytes(), SPEC, OptimizerConfig.defaults(), MICRO_BATCH);
    feed(restored, 3000, 32);
    assertThat(replica.apply(restored.updates().capture(false, true)))
        .as("an incremental update of a new epoch is not taken for a continuation")
        .isFalse();
    assertThat(replica.apply(restored.updates().capture(true, true))).isTrue();
    assertScoresAsLearner(replica, restored, 40_000);
    assertThat(replica.apply(full)).as("an older epoch's full update is ignored").isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"hiformer"})
  void aDamagedUpdateIsRefused(String kind) throws Exception {
    ModelRuntime learner = fresh(kind);
    feed(learner, 0, 100);
    byte[] b = learner.updates().capture(true, true).bytes();
    b[b.length / 2] ^= 1;
    assertThatThrownBy(() -> ModelUpdate.of(b)).hasMessageContaining("checksum");
  }

  /**
   * Rows staged and scored together give each row's one-at-a-time score: exactly for one row (the
   * same one-row path), to float rounding in a batched pass of two rows or more. A full stage
   * refuses more.
   */
  @ParameterizedTest
  @ValueSource(strings = {"hiformer", "dcnv2", "hiformer+dcnv2+lr"})
  void rowsStagedAndScoredTogetherScoreAsEachAlone(String kind) throws Exception {
    ModelRuntime learner = fresh(kind);
    ScoringReplica replica = replica(kind);
    feed(learner, 0, 300);
    assertThat(replica.apply(ModelUpdate.of(learner.updates().capture(true, true).bytes())))
        .isTrue();
    for (int n : new int[] {1, 2, ScoringReplica.MIN_BATCH - 1, 40}) {
      double[] alone = new double[2 * n];
      for (int i = 0; i < n; i++) {
        System.arraycopy(replica.score(row(i % 50, i % 20, i, "s" + i)), 0, alone, 2 * i, 2);
      }
      for (int i = 0; i < n; i++) {
        replica.stage(row(i % 50, i % 20, i, "s" + i), 40);
      }
      assertThat(replica.staged()).isEqualTo(n);
      double[] together = replica.scoreStaged();
      assertThat(replica.staged()).isZero();
      for (int j = 0; j < 2 * n; j++) {
        if (n == 1) {
          assertThat(together[j]).isEqualTo(alone[j]);
        } else {
          assertThat(together[j]).isCloseTo(alone[j], org.assertj.core.data.Offset.offset(1e-5));
        }
      }
    }
    for (int i = 0; i < 40; i++) {
      replica.stage(row(1, 1, i, "f" + i), 40);
    }
    assertThatThrownBy(() -> replica.stage(row(1, 1, 1, "over"), 40))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("full");
  }

  /**
   * After an update a batch scores with the new weights, like one row at a time (a batch's dense
   * products may read float copies of the weights, made again when the weights change).
   */
  @ParameterizedTest
  @ValueSource(strings = {"hiformer", "dcnv2"})
  void aBatchAfterAnUpdateScoresWithTheNewWeights(String kind) throws Exception {
    ModelRuntime learner = fresh(kind);
    ScoringReplica replica = replica(kind);
    feed(learner, 0, 300);
    assertThat(replica.apply(ModelUpdate.of(learner.updates().capture(true, true).bytes())))
        .isTrue();
    int n = 40;
    double[] before = stagedScores(replica, n);
    feed(learner, 1000, 256);
    assertThat(replica.apply(ModelUpdate.of(learner.updates().capture(false, true).bytes())))
        .isTrue();
    double[] after = stagedScores(replica, n);
    double moved = 0;
    for (int i = 0; i < n; i++) {
      double[] alone = replica.score(row(i % 50, i % 20, i, "s" + i));
      for (int k = 0; k < 2; k++) {
        moved = Math.max(moved, Math.abs(after[2 * i + k] - before[2 * i + k]));
        assertThat(after[2 * i + k])
            .as("row %d task %d", i, k)
            .isCloseTo(alone[k], org.assertj.core.data.Offset.offset(1e-5));
      }
    }
    assertThat(moved).as("the update moved the scores").isGreaterThan(1e-4);
  }

  private static double[] stagedScores(ScoringReplica replica, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      replica.stage(row(i % 50, i % 20, i, "s" + i), n);
    }
    return replica.scoreStaged().clone();
  }
}
