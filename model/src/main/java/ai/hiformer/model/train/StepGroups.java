package ai.hiformer.model.train;

import ai.hiformer.model.nn.Param;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The dense gradients of one learner's steps since its last send, for {@link GradientMerge}: per
 * step, {@code examples · gradient} of each parameter, in order. A delta carries them so that the
 * merge can take the common steps one by one. To bound a delta's size, at most {@code maxGroups}
 * arrays are kept: once they are used, later steps join the last, which then holds the sum of
 * several steps (a <em>group</em>) and stands for each of them with its mean.
 *
 * <p>In a delta's dense arrays ({@link #take}): G groups of one array per parameter, the offset
 * (one array per parameter, empty when there is none), the groups' examples, the groups' steps.
 */
final class StepGroups {
  /**
   * The bytes a delta's groups may take: a delta stays well inside the exchange topic's 16 MB
   * messages with its rows (for a model of 291 k dense weights, 3 groups).
   */
  private static final long GROUP_BYTES = 8L << 20;

  private final int[] sizes; // elements of each dense parameter
  private final int maxGroups;
  private final List<double[][]> sums = new ArrayList<>(); // kept for reuse after a send
  private long[] examples = new long[4];
  private int[] steps = new int[4];
  private int count; // groups in use

  /** Groups for parameters of {@code sizes} elements, as many as {@link #GROUP_BYTES} allow. */
  StepGroups(int[] sizes) {
    this(sizes, (int) Math.max(1, Math.min(64, GROUP_BYTES / denseBytes(sizes))));
  }

  /** Groups for parameters of {@code sizes} elements, at most {@code maxGroups} (≥ 1). */
  StepGroups(int[] sizes, int maxGroups) {
    this.sizes = sizes.clone();
    this.maxGroups = maxGroups;
  }

  private static long denseBytes(int[] sizes) {
    return 8L * Math.max(1, Arrays.stream(sizes).asLongStream().sum());
  }

  /** Adds a step of {@code stepExamples} examples with the gradients in {@code params}. */
  void add(List<Param> params, int stepExamples) {
    boolean joins = count == maxGroups;
    double[][] group = joins ? sums.get(count - 1) : newGroup(0, 0);
    examples[count - 1] += stepExamples;
    steps[count - 1]++;
    for (int p = 0; p < group.length; p++) {
      double[] g = params.get(p).grad();
      double[] s = group[p];
      if (joins) {
        for (int i = 0; i < s.length; i++) {
          s[i] += stepExamples * g[i];
        }
      } else {
        for (int i = 0; i < s.length; i++) {
          s[i] = stepExamples * g[i];
        }
      }
    }
  }

  /** The next group's arrays (reused, to be overwritten), with its examples and steps recorded. */
  private double[][] newGroup(long groupExamples, int groupSteps) {
    if (count == sums.size()) {
      double[][] arrays = new double[sizes.length][];
      for (int p = 0; p < arrays.length; p++) {
        arrays[p] = new double[sizes[p]];
      }
      sums.add(arrays);
    }
    if (count == examples.length) {
      examples = Arrays.copyOf(examples, 2 * count);
      steps = Arrays.copyOf(steps, 2 * count);
    }
    examples[count] = groupExamples;
    steps[count] = groupSteps;
    return sums.get(count++);
  }

  /**
   * The groups as a delta's dense arrays, with {@code offsets} (null: none) in their place; starts
   * the next period with none.
   */
  double[][] take(double[][] offsets) {
    int n = sizes.length;
    int g = count;
    double[][] out = new double[(g + 1) * n + 2][];
    for (int j = 0; j < g; j++) {
      for (int p = 0; p < n; p++) {
        out[j * n + p] = sums.get(j)[p].clone();
      }
    }
    for (int p = 0; p < n; p++) {
      out[g * n + p] = offsets == null ? new double[0] : offsets[p];
    }
    out[(g + 1) * n] = new double[g];
    out[(g + 1) * n + 1] = new double[g];
    for (int j = 0; j < g; j++) {
      out[(g + 1) * n][j] = examples[j];
      out[(g + 1) * n + 1][j] = steps[j];
    }
    count = 0;
    return out;
  }

  /**
   * The groups a delta's dense arrays hold.
   *
   * @throws IllegalArgumentException for arrays of another layout (a gradient delta of format 2,
   *     sent before groups were, cannot be merged)
   */
  int groupsIn(PeerDelta d) {
    int n = sizes.length;
    int len = d.dense().length;
    int groups = (len - 2) / n - 1;
    if (groups < 0
        || (groups + 1) * n + 2 != len
        || d.dense()[len - 2].length != groups
        || d.dense()[len - 1].length != groups
        || Arrays.stream(d.dense()[len - 1]).sum() != d.steps()) {
      throw new IllegalArgumentException(
          "a gradient delta of "
              + len
              + " dense arrays, not the step groups this build merges (a delta of format 2?)");
    }
    return groups;
  }

  /** Delta {@code d}'s offset of parameter p (empty: none), given its {@code groups}. */
  double[] offset(PeerDelta d, int groups, int p) {
    return d.dense()[groups * sizes.length + p];
  }

  /**
   * Writes common step j of m into {@code into} (one gradient array per parameter): the
   * examples-weighted mean gradient of the learners' steps in its share of their periods (learner
   * k's step t of T_k in step ⌊t·m/T_k⌋; a step of a group carries the group's mean), summed in
   * learner order, then step order.
   *
   * @param groups per delta, {@link #groupsIn}
   * @return false when no step falls in it
   */
  boolean meanGradient(PeerDelta[] all, int[] groups, int m, int j, double[][] into) {
    int n = sizes.length;
    for (double[] g : into) {
      Arrays.fill(g, 0.0);
    }
    double stepExamples = 0;
    for (int k = 0; k < all.length; k++) {
      double[][] dense = all[k].dense();
      int g = groups[k];
      double[] groupExamples = dense[(g + 1) * n];
      double[] groupSteps = dense[(g + 1) * n + 1];
      long total = 0;
      for (double c : groupSteps) {
        total += (long) c;
      }
      // Learner k's steps t with ⌊t·m/total⌋ = j: t in [⌈j·total/m⌉, ⌈(j+1)·total/m⌉).
      long from = -Math.floorDiv(-(long) j * total, m);
      long to = -Math.floorDiv(-(long) (j + 1) * total, m);
      long first = 0; // the group's first step
      for (int i = 0; i < g; i++) {
        long c = (long) groupSteps[i];
        long in = Math.min(to, first + c) - Math.max(from, first);
        first += c;
        if (c == 0 || in <= 0) {
          continue;
        }
        double share = in / (double) c;
        stepExamples += share * groupExamples[i];
        for (int p = 0; p < n; p++) {
          double[] grad = into[p];
          double[] sum = dense[i * n + p];
          for (int e = 0; e < grad.length; e++) {
            grad[e] += share * sum[e];
          }
        }
      }
    }
    if (stepExamples == 0) {
      return false;
    }
    for (double[] grad : into) {
      for (int e = 0; e < grad.length; e++) {
        grad[e] /= stepExamples;
      }
    }
    return true;
  }

  // ---- checkpointed state ----

  /** The groups' examples, their steps, then per group one array per parameter. */
  double[][] stateArrays() {
    int n = sizes.length;
    double[][] out = new double[2 + count * n][];
    out[0] = new double[count];
    out[1] = new double[count];
    for (int j = 0; j < count; j++) {
      out[0][j] = examples[j];
      out[1][j] = steps[j];
      for (int p = 0; p < n; p++) {
        out[2 + j * n + p] = sums.get(j)[p].clone();
      }
    }
    return out;
  }

  /**
   * Restores what {@link #stateArrays()} returned, from {@code arrays[from ..]}.
   *
   * @throws IllegalArgumentException when they do not fit this model
   */
  void restore(double[][] arrays, int from) {
    int n = sizes.length;
    if (arrays.length < from + 2
        || arrays[from].length != arrays[from + 1].length
        || arrays[from].length * n != arrays.length - from - 2) {
      throw new IllegalArgumentException(
          "saved gradient-merge state has "
              + arrays.length
              + " arrays; the model needs "
              + (from + 2)
              + " and one per parameter per step group");
    }
    count = 0;
    for (int j = 0; j < arrays[from].length; j++) {
      double[][] group = newGroup((long) arrays[from][j], (int) arrays[from + 1][j]);
      for (int p = 0; p < n; p++) {
        System.arraycopy(arrays[from + 2 + j * n + p], 0, group[p], 0, sizes[p]);
      }
    }
  }
}
