package ai.hiformer.model.train;

/**
 * How the labels a model learns from relate to the truth, and so how its loss is weighted and its
 * probability reported.
 *
 * <ul>
 *   <li>{@code negativeKeep} r ∈ (0, 1]: each negative was kept with probability r (negative
 *       sampling). The network then learns odds r⁻¹ times too high, and its probability b is
 *       reported as {@code b / (b + (1 − b) / r)}.
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
   * The probability the network's sampling-corrected output stands for: {@code b} undone of the
   * negative sampling; this is what fake-negative weights are computed from.
   */
  public double sampled(double b) {
    return negativeKeep == 1 ? b : b / (b + (1 - b) / negativeKeep);
  }

  /** The reported probability of the network's output probability {@code b}. */
  public double report(double b) {
    double q = sampled(b);
    return delayedLoss == DelayedLoss.FNC ? Math.min(q / (1 - q), MAX_PROBABILITY) : q;
  }
}
