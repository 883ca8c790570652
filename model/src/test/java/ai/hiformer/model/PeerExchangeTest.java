package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.math.Precision;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.nn.RowCopies;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.DeltaExchange;
import ai.hiformer.model.train.Learner;
import ai.hiformer.model.train.PeerDelta;
import ai.hiformer.model.train.PeerExchange;
import ai.hiformer.model.train.PeerExchangeState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Learners exchanging through {@link PeerExchange} (asynchronous, over a channel that reorders,
 * repeats and outlives restores) end on one model: the merge of {@link DeltaExchange}, bit for bit,
 * when nobody trains between sending and applying; the same bits in every learner when they do; and
 * the same after a restore from one cut, whatever the old epoch left on the channel.
 */
class PeerExchangeTest {
  private static final InputLayout LAYOUT = new InputLayout(3, 1, 3, 2);
  private static final int K = 3;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer", "dcnv2", "lr"})
  void inLockStepItIsTheSynchronousMergeBitForBit(String kind) {
    for (Precision precision : Precision.values()) {
      ModelConfig config =
          ModelConfig.builder(ModelKind.parse(kind)).seed(4).precision(precision).build();
      List<Learner> sync = learners(config);
      List<Learner> peers = learners(config);
      DeltaExchange exchange = new DeltaExchange(Models.create(config, LAYOUT), sync);
      List<PeerExchange> sides = sides(peers);
      for (int round = 0; round < 3; round++) {
        for (int k = 0; k < K; k++) {
          // Few ids: the learners share rows, and create some of the same new rows in one period.
          Batch batch = TestBatches.random(LAYOUT, 24, 1, 15 + 10 * round, 100 * round + k);
          sync.get(k).predictThenTrain(batch, new double[24]);
          peers.get(k).predictThenTrain(batch, new double[24]);
        }
        exchange.exchange();
        deliverAll(sides, sendAll(sides), new Random(round));
        for (PeerExchange side : sides) {
          assertThat(side.applied()).isEqualTo(round + 1);
        }
        for (int k = 0; k < K; k++) {
          assertSameState(
              peers.get(k).model(), sync.get(k).model(), precision + " " + kind + " learner " + k);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(PeerExchange.Merge.class)
  void learnersThatTrainWhileWaitingStillShareOneCommonState(PeerExchange.Merge merge) {
    ModelConfig config = ModelConfig.builder(ModelKind.HIFORMER).seed(9).build();
    List<Learner> peers = learners(config);
    List<PeerExchange> sides = sides(peers, merge);
    Random random = new Random(3);
    List<PeerDelta> channel = new ArrayList<>();
    long trained = 0;
    for (int step = 0; step < 60; step++) {
      int k = random.nextInt(K);
      Batch batch = TestBatches.random(LAYOUT, 16, 1, 40, step);
      peers.get(k).predictThenTrain(batch, new double[16]);
      trained += 16;
      if (!sides.get(k).waiting() && random.nextInt(3) == 0) {
        channel.add(sides.get(k).send());
      }
      // Deliver a random part of the channel, out of order and some twice.
      Collections.shuffle(channel, random);
      for (PeerDelta d : new ArrayList<>(channel)) {
        if (random.nextBoolean()) {
          for (PeerExchange side : sides) {
            side.receive(PeerDelta.decode(d.encode()));
            side.applyReady();
          }
          if (random.nextBoolean()) {
            channel.remove(d);
          }
        }
      }
    }
    quiesce(sides, channel);
    for (int k = 1; k < K; k++) {
      assertSameState(peers.get(k).model(), peers.get(0).model(), "learner " + k);
    }
    assertThat(sides.get(0).applied()).isGreaterThan(3);
    for (PeerExchange side : sides) {
      assertThat(side.mergedExamples()).as("every example merged once").isEqualTo(trained);
    }
  }

  @Test
  void whatALearnerLearntAfterSendingSurvivesTheMerge() {
    ModelConfig config = ModelConfig.builder(ModelKind.HIFORMER).seed(6).build();
    List<Learner> peers = learners(config);
    List<PeerExchange> sides = sides(peers);
    Random random = new Random(4);
    train(peers, random);
    List<PeerDelta> sent = sendAll(sides);
    // Learner 0 trains on after sending; the others wait idle.
    Learner busy = peers.get(0);
    List<double[]> rowsAtSend = rows(busy.model());
    busy.predictThenTrain(TestBatches.random(LAYOUT, 16, 1, 30, 99), new double[16]);
    CtrModel sentState = models(sent.get(0)); // learner 0's weights as sent
    List<double[]> rowsBeforeMerge = rows(busy.model());
    List<double[]> learnt = difference(state(busy.model()), state(sentState));
    deliverAll(sides, sent, random);
    // The idle learners hold the merged state; learner 0 holds it plus what it learnt since.
    List<double[]> got = difference(state(busy.model()), state(peers.get(1).model()));
    for (int i = 0; i < learnt.size(); i++) {
      for (int j = 0; j < learnt.get(i).length; j++) {
        assertThat(got.get(i)[j])
            .as("array %d cell %d", i, j)
            .isCloseTo(learnt.get(i)[j], org.assertj.core.data.Offset.offset(1e-6));
      }
    }
    // Rows likewise: merged (learner 1's) plus learnt since sending (learner 0's, before the merge,
    // less as sent; a row created after sending counts from its initial value).
    CtrModel fresh = models(sent.get(0));
    List<double[]> merged = rows(peers.get(1).model());
    List<double[]> after = rows(busy.model());
    for (int t = 0; t < after.size(); t++) {
      int dim = busy.model().tables().get(t).dim();
      EmbeddingTable initial = fresh.tables().get(t);
      for (int c = 0; c < rowsBeforeMerge.get(t).length; c++) {
        int id = c / dim;
        double atSend;
        if (c < rowsAtSend.get(t).length) {
          atSend = rowsAtSend.get(t)[c];
        } else {
          initial.ensureRow(id);
          atSend = initial.value(id, c % dim);
        }
        double base = c < merged.get(t).length ? merged.get(t)[c] : atSend;
        assertThat(after.get(t)[c])
            .as("table %d row %d", t, id)
            .isCloseTo(
                base + rowsBeforeMerge.get(t)[c] - atSend,
                org.assertj.core.data.Offset.offset(1e-6));
      }
    }
    assertThat(learnt.stream().mapToDouble(a -> Arrays.stream(a).map(Math::abs).sum()).sum())
        .as("learner 0 learnt something after sending")
        .isPositive();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(PeerExchange.Merge.class)
  void aRestoreFromOneCutIgnoresTheOldEpochAndResendsWhatPeersLack(PeerExchange.Merge merge) {
    ModelConfig config = ModelConfig.builder(ModelKind.HIFORMER).seed(5).build();
    OptimizerConfig optimizer = OptimizerConfig.defaults();
    List<Learner> peers = learners(config);
    List<PeerExchange> sides = sides(peers, merge);
    Random random = new Random(8);
    // Exchange 1 complete everywhere; exchange 2 sent by all, delivered to learner 0 only.
    train(peers, random);
    deliverAll(sides, sendAll(sides), random);
    train(peers, random);
    List<PeerDelta> second = sendAll(sides);
    for (PeerDelta d : second) {
      sides.get(0).receive(d);
    }
    assertThat(sides.get(0).applyReady()).isPositive();
    // Steps after sending: at the cut they are pending (merging gradients, with their gradients).
    train(peers, random);
    // The cut: every learner's model and exchange state.
    List<byte[]> models = new ArrayList<>();
    List<byte[]> states = new ArrayList<>();
    for (int k = 0; k < K; k++) {
      models.add(LearnerCodec.encode(peers.get(k)));
      states.add(sides.get(k).state().encode());
    }
    // After the cut the old epoch goes on: learner 0 trains and sends exchange 3.
    train(peers, random);
    PeerDelta stale = sides.get(0).send();

    List<Learner> restored = new ArrayList<>();
    List<PeerExchange> again = new ArrayList<>();
    for (int k = 0; k < K; k++) {
      Learner l = LearnerCodec.decode(models.get(k), optimizer);
      PeerExchange side = new PeerExchange(l, k, K, merge);
      side.restore(PeerExchangeState.decode(states.get(k)));
      side.epoch(7);
      restored.add(l);
      again.add(side);
    }
    assertThat(again.get(1).receive(stale)).as("a delta of the discarded epoch").isFalse();
    // Learner 0 applied exchange 2 before the cut; learners 1 and 2 still need its delta.
    List<PeerDelta> resent = new ArrayList<>();
    again.forEach(side -> resent.addAll(side.toResend()));
    assertThat(resent).extracting(PeerDelta::epoch).containsOnly(7L);
    deliverAll(again, resent, random);
    for (PeerExchange side : again) {
      assertThat(side.applied()).isEqualTo(2);
    }
    train(restored, random);
    quiesce(again, new ArrayList<>());
    for (int k = 1; k < K; k++) {
      assertSameState(restored.get(k).model(), restored.get(0).model(), "learner " + k);
    }
  }

  @Test
  void learnersThatLearntNothingDoNotDiluteAPeersStepWhenMergingWeights() {
    ModelConfig config = ModelConfig.builder(ModelKind.HIFORMER).seed(7).build();
    List<Learner> peers = learners(config);
    List<PeerExchange> sides = sides(peers);
    peers.get(0).predictThenTrain(TestBatches.random(LAYOUT, 16, 1, 30, 1), new double[16]);
    List<double[]> learnt = state(peers.get(0).model());
    // Learners 1 and 2 answer with nothing learnt, as a learner a peer waits for does.
    deliverAll(sides, sendAll(sides), new Random(2));
    for (int k = 0; k < K; k++) {
      List<double[]> got = state(peers.get(k).model());
      for (int p = 0; p < got.size(); p++) {
        assertThat(got.get(p)).as("learner %d dense %d", k, p).isEqualTo(learnt.get(p));
      }
      assertThat(sides.get(k).mergedExamples()).isEqualTo(16);
    }
  }

  @Test
  void aWaitingLearnerKnowsWhichPeersItLacks() {
    List<PeerExchange> sides = sides(learners(ModelConfig.builder(ModelKind.HIFORMER).build()));
    PeerExchange first = sides.get(0);
    assertThat(first.lacks(1)).as("not waiting: lacks nothing").isFalse();
    PeerDelta opening = first.send();
    PeerExchange second = sides.get(1);
    assertThat(second.awaited()).as("before a peer sent").isFalse();
    second.receive(opening);
    assertThat(second.awaited()).as("a peer sent the next exchange first").isTrue();
    assertThat(first.awaited()).as("its own exchange").isFalse();
    for (int k = 1; k < K; k++) {
      assertThat(first.lacks(k)).as("learner %d before its delta", k).isTrue();
    }
    assertThat(first.lacks(0)).as("its own").isFalse();
    first.receive(second.send());
    assertThat(second.awaited()).as("answered").isFalse();
    assertThat(first.lacks(1)).isFalse();
    for (int k = 2; k < K; k++) {
      assertThat(first.lacks(k)).as("learner %d before its delta", k).isTrue();
      first.receive(sides.get(k).send());
    }
    first.applyReady();
    assertThat(first.waiting()).isFalse();
    assertThat(first.lacks(1)).as("applied: lacks nothing").isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(PeerExchange.Merge.class)
  void aDeltaTravelsAsBytesAndATruncatedOneIsRefused(PeerExchange.Merge merge) {
    ModelConfig config = ModelConfig.builder(ModelKind.HIFORMER).seed(2).build();
    List<Learner> peers = learners(config);
    List<PeerExchange> sides = sides(peers, merge);
    train(peers, new Random(1));
    PeerDelta sent = sides.get(1).send();
    PeerDelta back = PeerDelta.decode(sent.encode());
    assertThat(back.exchange()).isEqualTo(1);
    assertThat(back.learner()).isEqualTo(1);
    assertThat(back.rowCount()).isEqualTo(sent.rowCount()).isPositive();
    assertThat(back.examples()).isEqualTo(sent.examples()).isEqualTo(16);
    assertThat(back.encode()).isEqualTo(sent.encode());
    byte[] bytes = sent.encode();
    assertThatThrownBy(() -> PeerDelta.decode(Arrays.copyOf(bytes, bytes.length - 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncated");
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1);
    assertThatThrownBy(() -> PeerDelta.decode(bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("format 1; this build reads formats 2 and 3");
  }

  private static List<Learner> learners(ModelConfig config) {
    List<Learner> out = new ArrayList<>();
    for (int k = 0; k < K; k++) {
      out.add(new Learner(Models.create(config, LAYOUT), OptimizerConfig.defaults()));
    }
    return out;
  }

  private static List<PeerExchange> sides(List<Learner> learners) {
    return sides(learners, PeerExchange.Merge.WEIGHTS);
  }

  static List<PeerExchange> sides(List<Learner> learners, PeerExchange.Merge merge) {
    List<PeerExchange> out = new ArrayList<>();
    for (int k = 0; k < learners.size(); k++) {
      out.add(new PeerExchange(learners.get(k), k, learners.size(), merge));
    }
    return out;
  }

  private static void train(List<Learner> learners, Random random) {
    for (Learner l : learners) {
      l.predictThenTrain(TestBatches.random(LAYOUT, 16, 1, 30, random.nextLong()), new double[16]);
    }
  }

  static List<PeerDelta> sendAll(List<PeerExchange> sides) {
    List<PeerDelta> sent = new ArrayList<>();
    for (PeerExchange side : sides) {
      if (!side.waiting()) {
        sent.add(side.send());
      }
    }
    return sent;
  }

  static void deliverAll(List<PeerExchange> sides, List<PeerDelta> deltas, Random random) {
    List<PeerDelta> order = new ArrayList<>(deltas);
    Collections.shuffle(order, random);
    for (PeerDelta d : order) {
      for (PeerExchange side : sides) {
        side.receive(d);
      }
    }
    for (PeerExchange side : sides) {
      side.applyReady();
    }
  }

  /** Delivers what is on the channel, then exchanges without training until all have applied. */
  private static void quiesce(List<PeerExchange> sides, List<PeerDelta> channel) {
    deliverAll(sides, channel, new Random(0));
    for (int i = 0; i < 3; i++) {
      deliverAll(sides, sendAll(sides), new Random(i));
    }
    long applied = sides.get(0).applied();
    for (PeerExchange side : sides) {
      assertThat(side.waiting()).isFalse();
      assertThat(side.applied()).isEqualTo(applied);
    }
  }

  /** A model holding a delta's dense weights and rows (rows it did not move stay initial). */
  private CtrModel models(PeerDelta delta) {
    CtrModel m = Models.create(ModelConfig.builder(ModelKind.HIFORMER).seed(6).build(), LAYOUT);
    for (int p = 0; p < delta.dense().length; p++) {
      System.arraycopy(
          delta.dense()[p], 0, m.params().all().get(p).value(), 0, delta.dense()[p].length);
    }
    return m;
  }

  /** Each table's values, row after row. */
  private static List<double[]> rows(CtrModel m) {
    List<double[]> out = new ArrayList<>();
    for (EmbeddingTable t : m.tables()) {
      out.add(RowCopies.valuesAsDoubles(t).clone());
    }
    return out;
  }

  /** Dense values. */
  private static List<double[]> state(CtrModel m) {
    List<double[]> out = new ArrayList<>();
    for (Param p : m.params().all()) {
      out.add(p.value().clone());
    }
    return out;
  }

  private static List<double[]> difference(List<double[]> a, List<double[]> b) {
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      double[] d = new double[a.get(i).length];
      for (int j = 0; j < d.length; j++) {
        d[j] = a.get(i)[j] - b.get(i)[j];
      }
      out.add(d);
    }
    return out;
  }

  private static void assertSameState(CtrModel got, CtrModel expected, String what) {
    List<Param> a = got.params().all();
    List<Param> b = expected.params().all();
    for (int p = 0; p < a.size(); p++) {
      assertThat(a.get(p).value())
          .as("%s dense %s", what, a.get(p).name())
          .isEqualTo(b.get(p).value());
    }
    for (int t = 0; t < got.tables().size(); t++) {
      EmbeddingTable x = got.tables().get(t);
      EmbeddingTable y = expected.tables().get(t);
      int rows = Math.max(x.rows(), y.rows());
      x.ensureRow(rows - 1);
      y.ensureRow(rows - 1);
      assertThat(RowCopies.valuesAsDoubles(x))
          .as("%s table %d values", what, t)
          .isEqualTo(RowCopies.valuesAsDoubles(y));
      assertThat(RowCopies.accumulatorsAsDoubles(x))
          .as("%s table %d accumulators", what, t)
          .isEqualTo(RowCopies.accumulatorsAsDoubles(y));
    }
  }
}
