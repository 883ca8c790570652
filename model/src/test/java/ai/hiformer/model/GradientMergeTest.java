package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.model.math.Precision;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.nn.RowCopies;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import ai.hiformer.model.train.PeerDelta;
import ai.hiformer.model.train.PeerExchange;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Learners that merge gradients ({@link PeerExchange.Merge#GRADIENTS}) are synchronous data
 * parallelism: K learners, each stepping on its share of a micro-batch and exchanging after every
 * step, predict and learn exactly as one learner stepping on the whole micro-batch; and the steps a
 * learner takes after sending are neither lost nor counted twice.
 */
class GradientMergeTest {
  private static final InputLayout LAYOUT = new InputLayout(3, 1, 3, 2);
  private static final int K = 3;
  private static final int SHARE = 8;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer", "dcnv2", "lr"})
  void learnersOnSharesOfABatchPredictAndLearnAsOneLearnerOnTheBatch(String kind) {
    ModelConfig config =
        ModelConfig.builder(ModelKind.parse(kind)).seed(4).precision(Precision.DOUBLE).build();
    Learner one = new Learner(Models.create(config, LAYOUT), OptimizerConfig.defaults());
    List<Learner> team = team(config);
    List<PeerExchange> sides = PeerExchangeTest.sides(team, PeerExchange.Merge.GRADIENTS);
    for (int round = 0; round < 4; round++) {
      // Few ids: the shares touch the same rows, and create some of the same new rows.
      Batch whole = TestBatches.random(LAYOUT, K * SHARE, 1, 12 + 8 * round, 31 * round + 7);
      double[] expected = new double[K * SHARE];
      one.predictThenTrain(whole, expected);
      for (int k = 0; k < K; k++) {
        double[] got = new double[SHARE];
        team.get(k).predictThenTrain(share(whole, k), got);
        for (int b = 0; b < SHARE; b++) {
          // Rows are float32, and the row gradients travel so: a last bit may differ.
          assertThat(got[b])
              .as("%s round %d learner %d example %d", kind, round, k, b)
              .isCloseTo(expected[k * SHARE + b], within(1e-8));
        }
      }
      PeerExchangeTest.deliverAll(sides, PeerExchangeTest.sendAll(sides), new Random(round));
      for (int k = 0; k < K; k++) {
        assertClose(team.get(k).model(), one.model(), kind + " round " + round + " learner " + k);
      }
    }
  }

  @Test
  void stepsTakenAfterSendingReachTheCommonStateAtTheNextExchange() {
    ModelConfig config = ModelConfig.builder(ModelKind.HIFORMER).seed(6).build();
    List<Learner> team = team(config);
    List<PeerExchange> sides = PeerExchangeTest.sides(team, PeerExchange.Merge.GRADIENTS);
    Random random = new Random(2);
    long trained = 0;
    long merged = 0;
    for (int round = 0; round < 5; round++) {
      for (Learner l : team) {
        l.predictThenTrain(
            TestBatches.random(LAYOUT, 16, 1, 30, random.nextLong()), new double[16]);
        trained += 16;
      }
      List<PeerDelta> sent = PeerExchangeTest.sendAll(sides);
      // Learner 0 trains on before the exchange completes: a provisional step.
      team.get(0).predictThenTrain(TestBatches.random(LAYOUT, 8, 1, 30, round), new double[8]);
      trained += 8;
      merged += sent.stream().mapToLong(PeerDelta::examples).sum();
      PeerExchangeTest.deliverAll(sides, sent, random);
      for (int k = 1; k < K; k++) {
        assertClose(team.get(k).model(), team.get(0).model(), "round " + round + " learner " + k);
      }
    }
    List<PeerDelta> last = PeerExchangeTest.sendAll(sides);
    merged += last.stream().mapToLong(PeerDelta::examples).sum();
    PeerExchangeTest.deliverAll(sides, last, random);
    assertThat(merged).as("examples merged, each once").isEqualTo(trained);
  }

  @Test
  void anExchangeOfSeveralStepsTakesAsManyCommonSteps() {
    ModelConfig config = ModelConfig.builder(ModelKind.HIFORMER).seed(3).build();
    List<Learner> team = team(config);
    List<PeerExchange> sides = PeerExchangeTest.sides(team, PeerExchange.Merge.GRADIENTS);
    Random random = new Random(5);
    // Learners 0 and 1 take three steps of 8 each, learner 2 none: 48 examples, which one learner
    // stepping on the whole micro-batch (3 x 8) learns in two steps.
    for (int step = 0; step < 3; step++) {
      for (int k = 0; k < 2; k++) {
        team.get(k)
            .predictThenTrain(
                TestBatches.random(LAYOUT, 8, 1, 30, random.nextLong()), new double[8]);
      }
    }
    List<PeerDelta> sent = PeerExchangeTest.sendAll(sides);
    assertThat(sent).extracting(PeerDelta::steps).containsExactly(3, 3, 0);
    PeerExchangeTest.deliverAll(sides, sent, random);
    for (int k = 0; k < K; k++) {
      assertThat(team.get(k).adam().step()).as("learner %d's Adam, the common one", k).isEqualTo(2);
      assertClose(team.get(k).model(), team.get(0).model(), "learner " + k);
    }
  }

  @Test
  void anExchangeOfSeveralStepsMergesTheLearnersStepsInOrder() {
    // No centring: the merge's only input is then the steps' gradients.
    ModelConfig config =
        ModelConfig.builder(ModelKind.HIFORMER)
            .seed(8)
            .precision(Precision.DOUBLE)
            .centreFirstLogits(false)
            .build();
    List<Learner> team = team(config);
    List<PeerExchange> sides = PeerExchangeTest.sides(team, PeerExchange.Merge.GRADIENTS);
    // Each learner's twin takes the same steps without exchanging: its gradients after step j are
    // those learner k took at step j.
    List<Learner> twins = team(config);
    int steps = 3;
    int params = team.get(0).model().params().all().size();
    double[][][] sums = new double[steps][params][]; // Σ over learners of examples · gradient
    Random random = new Random(9);
    for (int j = 0; j < steps; j++) {
      for (int k = 0; k < K; k++) {
        int examples = 4 + 2 * k; // unequal shares: the means weigh by examples
        Batch batch = TestBatches.random(LAYOUT, examples, 1, 30, random.nextLong());
        team.get(k).predictThenTrain(batch, new double[examples]);
        twins.get(k).predictThenTrain(batch, new double[examples]);
        List<Param> grads = twins.get(k).model().params().all();
        for (int p = 0; p < params; p++) {
          double[] g = grads.get(p).grad();
          sums[j][p] = sums[j][p] == null ? new double[g.length] : sums[j][p];
          for (int i = 0; i < g.length; i++) {
            sums[j][p][i] += examples * g[i];
          }
        }
      }
    }
    PeerExchangeTest.deliverAll(sides, PeerExchangeTest.sendAll(sides), random);
    int perStep = 4 + 6 + 8;
    Learner inOrder = new Learner(Models.create(config, LAYOUT), OptimizerConfig.defaults());
    Learner onTheMean = new Learner(Models.create(config, LAYOUT), OptimizerConfig.defaults());
    for (int j = 0; j < steps; j++) {
      for (int p = 0; p < params; p++) {
        double[] step = inOrder.model().params().all().get(p).grad();
        double[] mean = onTheMean.model().params().all().get(p).grad();
        java.util.Arrays.fill(mean, 0.0);
        for (int i = 0; i < step.length; i++) {
          step[i] = sums[j][p][i] / perStep;
          for (int jj = 0; jj < steps; jj++) {
            mean[i] += sums[jj][p][i] / (steps * perStep);
          }
        }
      }
      inOrder.adam().apply();
      onTheMean.adam().apply();
    }
    double apart = 0;
    for (int p = 0; p < params; p++) {
      double[] want = inOrder.model().params().all().get(p).value();
      double[] other = onTheMean.model().params().all().get(p).value();
      for (int i = 0; i < want.length; i++) {
        apart = Math.max(apart, Math.abs(want[i] - other[i]));
      }
      for (int k = 0; k < K; k++) {
        double[] got = team.get(k).model().params().all().get(p).value();
        for (int i = 0; i < want.length; i++) {
          assertThat(got[i])
              .as("learner %d dense %d[%d]", k, p, i)
              .isCloseTo(want[i], within(1e-12));
        }
      }
    }
    assertThat(apart)
        .as("steps on each step's mean differ from steps on the period's mean")
        .isGreaterThan(1e-6);
  }

  private static List<Learner> team(ModelConfig config) {
    List<Learner> team = new ArrayList<>();
    for (int k = 0; k < K; k++) {
      team.add(new Learner(Models.create(config, LAYOUT), OptimizerConfig.defaults()));
    }
    return team;
  }

  /** Examples {@code k·SHARE ..} of {@code whole}. */
  private static Batch share(Batch whole, int k) {
    Batch part = LAYOUT.newBatch(SHARE, whole.tasks);
    for (int b = 0; b < SHARE; b++) {
      part.copyRow(whole, k * SHARE + b, b);
    }
    part.setSize(SHARE);
    return part;
  }

  private static void assertClose(CtrModel got, CtrModel expected, String what) {
    List<Param> a = got.params().all();
    List<Param> b = expected.params().all();
    for (int p = 0; p < a.size(); p++) {
      double[] x = a.get(p).value();
      double[] y = b.get(p).value();
      for (int i = 0; i < x.length; i++) {
        assertThat(x[i])
            .as("%s dense %s[%d]", what, a.get(p).name(), i)
            .isCloseTo(y[i], within(1e-9));
      }
    }
    for (int t = 0; t < got.tables().size(); t++) {
      EmbeddingTable tx = got.tables().get(t);
      EmbeddingTable ty = expected.tables().get(t);
      int rows = Math.max(tx.rows(), ty.rows());
      tx.ensureRow(rows - 1);
      ty.ensureRow(rows - 1);
      double[] x = RowCopies.valuesAsDoubles(tx);
      double[] y = RowCopies.valuesAsDoubles(ty);
      double[] ax = RowCopies.accumulatorsAsDoubles(tx);
      double[] ay = RowCopies.accumulatorsAsDoubles(ty);
      for (int i = 0; i < x.length; i++) {
        // Rows are float32: one learner and the merge may round a last bit apart.
        assertThat(x[i]).as("%s table %d cell %d", what, t, i).isCloseTo(y[i], within(1e-6));
        assertThat(ax[i])
            .as("%s table %d accumulator %d", what, t, i)
            .isCloseTo(ay[i], within(1e-6));
      }
    }
  }
}
