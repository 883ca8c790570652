package ai.hiformer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A two-task Hiformer on a generated stream in which task A's label is the parity of features 0 and
 * 1 and task B's the parity of features 2 and 3 (5 % label noise): no single feature says anything
 * about either label, so a head can only succeed by learning its own interaction.
 */
class MultiTaskLearningTest {
  private static final int VALUES = 4;
  private static final int EVENTS = 60_000;
  private static final int BATCH = 256;

  @Test
  void eachTaskHeadLearnsItsOwnFeatureInteraction() {
    InputLayout layout = new InputLayout(5, 0, 0, 1);
    ModelConfig config = ModelConfig.builder(ModelKind.HIFORMER).tasks(2).seed(3).build();
    Learner learner =
        new Learner(Models.create(config, layout), OptimizerConfig.defaults().withDenseLr(3e-3));
    SplittableRandom rng = new SplittableRandom(11);
    int[][] features = new int[EVENTS][5];
    double[][] labels = new double[EVENTS][2];
    double[][] predicted = new double[EVENTS][2];
    Batch batch = layout.newBatch(BATCH, 2);
    double[] probs = new double[BATCH * 2];
    for (int from = 0; from < EVENTS; from += BATCH) {
      int n = Math.min(BATCH, EVENTS - from);
      batch.setSize(n);
      for (int b = 0; b < n; b++) {
        int e = from + b;
        for (int f = 0; f < 5; f++) {
          features[e][f] = rng.nextInt(VALUES);
          batch.cat[b * 5 + f] = 1 + features[e][f]; // ids 1..VALUES
        }
        batch.num[b] = rng.nextDouble();
        labels[e][0] = noisy((features[e][0] + features[e][1]) % 2, rng);
        labels[e][1] = noisy((features[e][2] + features[e][3]) % 2, rng);
        for (int k = 0; k < 2; k++) {
          batch.label[b * 2 + k] = labels[e][k];
          batch.labelMask[b * 2 + k] = 1;
        }
      }
      learner.predictThenTrain(batch, probs);
      for (int b = 0; b < n; b++) {
        predicted[from + b][0] = probs[b * 2];
        predicted[from + b][1] = probs[b * 2 + 1];
      }
    }
    int tail = EVENTS / 4; // the last quarter, predicted before training on it
    double aucA = auc(predicted, 0, labels, 0, EVENTS - tail);
    double aucB = auc(predicted, 1, labels, 1, EVENTS - tail);
    double crossA = auc(predicted, 0, labels, 1, EVENTS - tail);
    double bestSingle = 0;
    for (int task = 0; task < 2; task++) {
      for (int f = 0; f < 5; f++) {
        bestSingle = Math.max(bestSingle, singleFeatureAuc(features, f, labels, task));
      }
    }
    assertThat(bestSingle).as("best AUC any single feature can give").isLessThan(0.56);
    assertThat(aucA).as("task A head on task A labels").isGreaterThan(0.85);
    assertThat(aucB).as("task B head on task B labels").isGreaterThan(0.85);
    assertThat(crossA).as("task A head says nothing about task B").isBetween(0.4, 0.6);
  }

  private static double noisy(int label, SplittableRandom rng) {
    return rng.nextDouble() < 0.05 ? 1 - label : label;
  }

  /**
   * AUC of the best use of one feature: its values ranked by their positive rate (an upper bound).
   */
  private static double singleFeatureAuc(int[][] features, int f, double[][] labels, int task) {
    double[] pos = new double[VALUES];
    double[] cnt = new double[VALUES];
    for (int e = 0; e < features.length; e++) {
      pos[features[e][f]] += labels[e][task];
      cnt[features[e][f]]++;
    }
    double[][] score = new double[features.length][1];
    for (int e = 0; e < features.length; e++) {
      score[e][0] = pos[features[e][f]] / cnt[features[e][f]];
    }
    return auc(score, 0, labels, task, 0);
  }

  private static double auc(double[][] p, int pi, double[][] y, int yi, int from) {
    double wins = 0;
    // Mann–Whitney over the sorted scores, a tie counted as half a win: O(n log n).
    int n = p.length - from;
    Integer[] idx = new Integer[n];
    for (int i = 0; i < n; i++) {
      idx[i] = from + i;
    }
    java.util.Arrays.sort(idx, (a, b) -> Double.compare(p[a][pi], p[b][pi]));
    long negSeen = 0;
    int i = 0;
    long posTotal = 0;
    while (i < n) {
      int j = i;
      long posGroup = 0;
      long negGroup = 0;
      while (j < n && p[idx[j]][pi] == p[idx[i]][pi]) {
        if (y[idx[j]][yi] > 0.5) {
          posGroup++;
        } else {
          negGroup++;
        }
        j++;
      }
      wins += posGroup * (negSeen + 0.5 * negGroup);
      negSeen += negGroup;
      posTotal += posGroup;
      i = j;
    }
    long pairs = posTotal * negSeen;
    return wins / pairs;
  }
}
