package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.math.Precision;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.nn.RowCopies;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.DeltaExchange;
import ai.hiformer.model.train.Learner;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An exchange leaves every learner and the common on the merged state of {@link DeltaExchange}
 * (dense weights averaged, rows averaged over the learners that moved them, accumulators summed),
 * bit for bit the same everywhere; a row several learners created counts its initial value once.
 */
class DeltaExchangeTest {
  private static final InputLayout LAYOUT = new InputLayout(3, 1, 3, 2);

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"hiformer", "dcnv2", "lr"})
  void everyLearnerEndsOnTheSameMergedState(String kind) {
    for (Precision precision : Precision.values()) {
      ModelConfig config =
          ModelConfig.builder(ModelKind.parse(kind)).seed(4).precision(precision).build();
      CtrModel common = Models.create(config, LAYOUT);
      List<Learner> learners = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        learners.add(new Learner(Models.create(config, LAYOUT), OptimizerConfig.defaults()));
      }
      DeltaExchange exchange = new DeltaExchange(common, learners);
      for (int round = 0; round < 2; round++) {
        // Few ids: the learners share rows, and create some of the same new rows in one period.
        for (int k = 0; k < learners.size(); k++) {
          Batch batch = TestBatches.random(LAYOUT, 24, 1, 15 + 10 * round, 100 * round + k);
          learners.get(k).predictThenTrain(batch, new double[24]);
        }
        List<double[]> expected = expectedMerge(common, learners);
        exchange.exchange();
        for (CtrModel m : models(common, learners)) {
          List<double[]> got = state(m, rowsOf(common));
          double tolerance = precision == Precision.FLOAT ? 1e-6 : 1e-12;
          for (int i = 0; i < expected.size(); i++) {
            assertThat(maxAbsDifference(got.get(i), expected.get(i)))
                .as("%s %s round %d, array %d", precision, kind, round, i)
                .isLessThanOrEqualTo(tolerance);
          }
          List<double[]> first = state(learners.get(0).model(), rowsOf(common));
          for (int i = 0; i < got.size(); i++) {
            assertThat(java.util.Arrays.equals(got.get(i), first.get(i)))
                .as("array %d identical in every learner", i)
                .isTrue();
          }
        }
      }
    }
  }

  /**
   * The merge written out: dense {@code common + mean Δ}; each row {@code common + ΣΔ/m} over the m
   * learners whose copy moved, its accumulator {@code common + ΣΔG}; over every row any model
   * holds.
   */
  private static List<double[]> expectedMerge(CtrModel common, List<Learner> learners) {
    int[] rows = new int[common.tables().size()];
    for (int t = 0; t < rows.length; t++) {
      for (Learner l : learners) {
        rows[t] = Math.max(rows[t], l.model().tables().get(t).rows());
      }
      common.tables().get(t).ensureRow(rows[t] - 1); // new rows at their initial values
    }
    List<double[]> from = state(common, rows);
    List<List<double[]>> own = new ArrayList<>();
    for (Learner l : learners) {
      own.add(state(l.model(), rows));
    }
    List<double[]> merged = new ArrayList<>();
    int dense = common.params().all().size();
    for (int i = 0; i < dense; i++) {
      double[] m = from.get(i).clone();
      for (List<double[]> w : own) {
        for (int j = 0; j < m.length; j++) {
          m[j] += (w.get(i)[j] - from.get(i)[j]) / learners.size();
        }
      }
      merged.add(m);
    }
    for (int t = 0; t < rows.length; t++) {
      int dim = common.tables().get(t).dim();
      int vi = dense + 2 * t;
      double[] values = from.get(vi).clone();
      double[] acc = from.get(vi + 1).clone();
      for (int r = 0; r < rows[t]; r++) {
        int moved = 0;
        double[] dv = new double[dim];
        for (List<double[]> w : own) {
          boolean any = false;
          for (int j = 0; j < dim; j++) {
            int c = r * dim + j;
            double d = w.get(vi)[c] - from.get(vi)[c];
            double da = w.get(vi + 1)[c] - from.get(vi + 1)[c];
            dv[j] += d;
            acc[c] += da;
            any |= d != 0 || da != 0;
          }
          moved += any ? 1 : 0;
        }
        for (int j = 0; moved > 0 && j < dim; j++) {
          values[r * dim + j] += dv[j] / moved;
        }
      }
      merged.add(values);
      merged.add(acc);
    }
    return merged;
  }

  private static double maxAbsDifference(double[] a, double[] b) {
    assertThat(a).hasSameSizeAs(b);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  private static int[] rowsOf(CtrModel m) {
    return m.tables().stream().mapToInt(EmbeddingTable::rows).toArray();
  }

  /** Dense values, then each table's values and accumulators over its first rows[t] rows. */
  private static List<double[]> state(CtrModel m, int[] rows) {
    List<double[]> out = new ArrayList<>();
    for (Param p : m.params().all()) {
      out.add(p.value().clone());
    }
    for (int t = 0; t < rows.length; t++) {
      EmbeddingTable table = m.tables().get(t);
      table.ensureRow(rows[t] - 1);
      double[] v = RowCopies.valuesAsDoubles(table);
      double[] a = RowCopies.accumulatorsAsDoubles(table);
      out.add(java.util.Arrays.copyOf(v, rows[t] * table.dim()));
      out.add(java.util.Arrays.copyOf(a, rows[t] * table.dim()));
    }
    return out;
  }

  private static List<CtrModel> models(CtrModel common, List<Learner> learners) {
    List<CtrModel> all = new ArrayList<>();
    all.add(common);
    learners.forEach(l -> all.add(l.model()));
    return all;
  }
}
