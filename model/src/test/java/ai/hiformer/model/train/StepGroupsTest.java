package ai.hiformer.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.model.nn.Param;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The steps a learner merging gradients sends ({@link StepGroups}): each step's gradient while
 * groups last, later steps joined into the last group; and the common steps the merge takes from
 * them, step by step.
 */
class StepGroupsTest {
  private static final int[] SIZES = {2, 1};

  /** One parameter list whose gradients are {@code a} (2 elements) and {@code b} (1). */
  private static List<Param> grads(double a0, double a1, double b) {
    Param x = new Param("x", 2);
    Param y = new Param("y", 1);
    x.grad()[0] = a0;
    x.grad()[1] = a1;
    y.grad()[0] = b;
    return List.of(x, y);
  }

  private static PeerDelta delta(int learner, double[][] dense, int steps, long examples) {
    return new PeerDelta(1, learner, 0, examples, steps, dense, new PeerDelta.Rows[0]);
  }

  @Test
  void stepsBeyondTheGroupsJoinTheLastAndStandForItsMean() {
    StepGroups groups = new StepGroups(SIZES, 2);
    groups.add(grads(1, 2, 3), 4); // step 0: its own group
    groups.add(grads(2, 0, 1), 2); // steps 1..3 join group 1
    groups.add(grads(4, 4, 4), 2);
    groups.add(grads(0, 2, 1), 4);
    double[][] dense = groups.take(null);
    PeerDelta d = delta(0, dense, 4, 12);
    assertThat(groups.groupsIn(d)).isEqualTo(2);
    assertThat(dense[6]).as("the groups' examples").containsExactly(4, 8);
    assertThat(dense[7]).as("the groups' steps").containsExactly(1, 3);
    assertThat(dense[2]).as("group 1: Σ examples · gradient").containsExactly(12, 16);
    assertThat(groups.offset(d, 2, 0)).as("no offset").isEmpty();

    double[][] into = {new double[2], new double[1]};
    // Four common steps: step 0 is step 0's gradient, steps 1..3 each the group's mean.
    assertThat(groups.meanGradient(new PeerDelta[] {d}, new int[] {2}, 4, 0, into)).isTrue();
    assertThat(into[0]).containsExactly(1, 2);
    for (int j = 1; j < 4; j++) {
      groups.meanGradient(new PeerDelta[] {d}, new int[] {2}, 4, j, into);
      assertThat(into[0][0]).as("step %d", j).isCloseTo(12 / 8.0, within(1e-15));
      assertThat(into[1][0]).as("step %d", j).isCloseTo((2 + 8 + 4) / 8.0, within(1e-15));
    }
    // Two common steps: step 0 takes step 0 and a third of the group.
    groups.meanGradient(new PeerDelta[] {d}, new int[] {2}, 2, 0, into);
    assertThat(into[0][0]).isCloseTo((4 + 12 / 3.0) / (4 + 8 / 3.0), within(1e-15));
    assertThat(groups.take(null).length).as("taken: the next period starts empty").isEqualTo(4);
  }

  @Test
  void commonStepJMergesTheLearnersJthStepsWeightedByExamples() {
    StepGroups first = new StepGroups(SIZES);
    StepGroups second = new StepGroups(SIZES);
    first.add(grads(1, 1, 1), 3);
    first.add(grads(2, 2, 2), 3);
    second.add(grads(5, 5, 5), 1);
    second.add(grads(7, 7, 7), 1);
    PeerDelta[] all = {delta(0, first.take(null), 2, 6), delta(1, second.take(null), 2, 2)};
    int[] g = {2, 2};
    double[][] into = {new double[2], new double[1]};
    first.meanGradient(all, g, 2, 0, into);
    assertThat(into[1][0]).isCloseTo((3 * 1 + 5) / 4.0, within(1e-15));
    first.meanGradient(all, g, 2, 1, into);
    assertThat(into[1][0]).isCloseTo((3 * 2 + 7) / 4.0, within(1e-15));
    // A learner that took no step contributes nothing, and a step no one took is not taken.
    PeerDelta idle = delta(1, new StepGroups(SIZES).take(null), 0, 0);
    assertThat(first.meanGradient(new PeerDelta[] {idle}, new int[] {0}, 1, 0, into)).isFalse();
  }

  @Test
  void pendingGroupsSurviveARestore() {
    StepGroups groups = new StepGroups(SIZES, 1);
    groups.add(grads(1, 2, 3), 2);
    groups.add(grads(3, 2, 1), 2);
    double[][] saved = groups.stateArrays();
    double[][] withHead = new double[saved.length + 3][];
    System.arraycopy(saved, 0, withHead, 3, saved.length);
    StepGroups restored = new StepGroups(SIZES, 1);
    restored.restore(withHead, 3);
    assertThat(restored.take(null)).isDeepEqualTo(groups.take(null));
    assertThatThrownBy(() -> restored.restore(new double[4][], 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("per step group");
  }

  @Test
  void aDeltaOfTheEarlierLayoutIsRefusedClearly() {
    StepGroups groups = new StepGroups(SIZES);
    // Format 2: one sum per parameter over all the steps, then the offsets (here none).
    double[][] legacy = {new double[2], new double[1], new double[0], new double[0]};
    assertThatThrownBy(() -> groups.groupsIn(delta(0, legacy, 3, 9)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("format 2");
    double[][] withOffsets = {new double[2], new double[1], new double[2], new double[1]};
    assertThatThrownBy(() -> groups.groupsIn(delta(0, withOffsets, 1, 9)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
