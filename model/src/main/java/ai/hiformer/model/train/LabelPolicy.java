package ai.hiformer.model.train;

/**
 * How the labels a model learns from relate to the truth, and so how its loss is weighted and its
 * probability reported.
 *
 * <ul>
 *   <li>{@code negativeKeep} r ∈ (0, 1]: each negative was kept with probability r (negative
 *       sampling). The stream's odds are then r⁻¹ times the truth's; the learner trains through a
 *       logit shifted by {@link #trainingLogitShift} so that the network's own output keeps the
 *       true rate: the probability p of a stream probability b is {@code b / (b + (1 − b) / r)}.
 *   <li>{@code delayedLoss}: how examples first learned as negatives and learned again as positives
 *       when their label arrived late (a fake-negative stream) are treated; {@link
 *       DelayedLoss#NONE} for a stream whose labels are final when learned.
 * </ul>
 *
 * @param delayedLoss the loss for fake negatives
 * @param negativeKeep the probability with which a negative was kept, in (0, 1]
 * @param lateShare for {@link DelayedLoss#FNW}: the share of positives that arrive after the
 *     examples' wait and so were first learned as negatives, in [0, 1]; 1 when examples are learned
 *     at once
 */
public record LabelPolicy(DelayedLoss delayedLoss, double negativeKeep, double lateShare) {
  /** Labels are final when learned, and every negative is kept. */
  public static final LabelPolicy PLAIN = new LabelPolicy(DelayedLoss.NONE, 1, 1);

  /** A policy for examples learned at once, without a wait. */
  public LabelPolicy(DelayedLoss delayedLoss, double negativeKeep) {
    this(delayedLoss, negativeKeep, 1);
  }

  /** The largest probability a fake-negative calibration reports: b / (1 − b) passes 1 at b ½. */
  static final double MAX_PROBABILITY = 1 - 1e-7;

  /** The loss for a stream in which every example is learned at once as a negative. */
  public enum DelayedLoss {
    /** Plain cross-entropy, probabilities as the network gives them. */
    NONE,
    /**
     * Fake-negative weighted (Ktena et al. 2019): cross-entropy with a positive weighted 1 + p, a
     * negative (1 − p)(1 + p), p the model's own probability (no gradient through it).
     */
    FNW,
    /**
     * Fake-negative calibrated: plain cross-entropy on the observed labels; the network's b is the
     * probability of an observed positive, b = p / (1 + p), so p = b / (1 − b) is reported.
     */
    FNC;

    public String cliName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The loss named {@code text}, or an error naming the allowed ones. */
    public static DelayedLoss parse(String key, String text) {
      for (DelayedLoss d : values()) {
        if (d.cliName().equals(text)) {
          return d;
        }
      }
      throw new IllegalArgumentException(
          "invalid " + key + " = '" + text + "'; allowed: none, fnw, fnc");
    }
  }

  public LabelPolicy {
    if (!(lateShare >= 0 && lateShare <= 1)) {
      throw new IllegalArgumentException(
          "invalid late share = " + lateShare + "; allowed: a number in [0, 1]");
    }
    if (delayedLoss == null) {
      throw new IllegalArgumentException("invalid delayed loss = null; allowed: none, fnw, fnc");
    }
    if (!(negativeKeep > 0 && negativeKeep <= 1)) {
      throw new IllegalArgumentException(
          "invalid negative-sampling = " + negativeKeep + "; allowed: a number in (0, 1]");
    }
  }

  /** This policy with {@code lateShare} measured anew. */
  public LabelPolicy withLateShare(double share) {
    return new LabelPolicy(delayedLoss, negativeKeep, share);
  }

  /**
   * What the network's logit is shifted by before the loss: −ln r ≥ 0. The network's own logit z
   * stands for the true base rate, and it learns the sampled stream through z − ln r, whose odds
   * are 1 / r times higher, as the stream's are (keeping a negative with probability r multiplies
   * the odds of a positive by 1 / r). So the model's output needs no correction wherever it is
   * read: by the learner, the scorers, a server or a SQL query. 0 without sampling.
   */
  public double trainingLogitShift() {
    return negativeKeep == 1 ? 0 : -Math.log(negativeKeep);
  }

  /**
   * The reported probability of the network's output probability {@code b} (already corrected for
   * negative sampling, see {@link #trainingLogitShift}): b, or for fake-negative calibration b / (1
   * − b).
   */
  public double report(double b) {
    return delayedLoss == DelayedLoss.FNC ? Math.min(b / (1 - b), MAX_PROBABILITY) : b;
  }
}
