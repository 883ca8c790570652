package ai.hiformer.local.chaos;

import ai.hiformer.learner.Metrics;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a chaos run did and what its checker found.
 *
 * <p>JSON keys ({@link #toJson}): {@code seed}, {@code minutes}, {@code rate}; {@code faults}: one
 * object per fault with {@code kind}, {@code target}, {@code at_s} (seconds since the run began),
 * {@code recovery_s} (to the job's first commit after it; null if it never came) and {@code error};
 * {@code recovery}: per kind {@code count}, {@code p50_s}, {@code max_s}; {@code check}: {@code
 * events_sent}, {@code events_scored}, {@code lost}, {@code duplicated}, {@code dead_letters},
 * {@code impressions}, {@code impressions_learned}, {@code positive_labels}, {@code
 * positives_learned}, {@code late_positives_learned}, {@code late_positives_by_time}, {@code
 * learned_twice}, {@code snapshot_regressions} (see {@link Check}); {@code passed}.
 *
 * @param settings what the run was asked to do
 * @param modelId the run's model (and request-id prefix)
 * @param startMillis when it began (epoch ms)
 * @param faults every fault injected, in order
 * @param check what the checker read back
 */
public record ChaosReport(
    ChaosSettings settings, String modelId, long startMillis, List<Fault> faults, Check check) {

  /**
   * The checker's findings over the whole history.
   *
   * @param eventsSent events the run sent (its request-id prefix), without the closing tail
   * @param eventsScored of those, how many have a committed score
   * @param lost sent events with no committed score
   * @param duplicated sent events with more than one committed score
   * @param deadLetters dead letters the run's job wrote (0 expected: the stream is valid)
   * @param impressions impressions the model must learn, each once: the stream and its tail
   * @param impressionsLearned what its newest snapshot counts ({@code <task>.examples})
   * @param positiveLabels positive labels sent for those impressions, each to be learned once
   * @param positivesLearned positive examples plus late positives, as the snapshot counts them
   * @param latePositivesLearned of those, the late positives
   * @param latePositivesByTime positives whose time is after their window (late whatever happened);
   *     the late positives learned beyond these were held up by an outage longer than {@code
   *     join.idle-ms}
   * @param snapshotRegressions times the newest snapshot counted fewer examples than one before it
   *     (a model restarted from scratch, or from an older state)
   */
  public record Check(
      long eventsSent,
      long eventsScored,
      long lost,
      long duplicated,
      long deadLetters,
      long impressions,
      long impressionsLearned,
      long positiveLabels,
      long positivesLearned,
      long latePositivesLearned,
      long latePositivesByTime,
      long snapshotRegressions) {

    /** Impressions and positives learned beyond those sent (each beyond is one learned twice). */
    public long learnedTwice() {
      return Math.max(0, impressionsLearned - impressions)
          + Math.max(0, positivesLearned - positiveLabels);
    }
  }

  /** Nothing lost or duplicated, every example learned once, every fault recovered from. */
  public boolean passed() {
    return check.lost() == 0
        && check.duplicated() == 0
        && check.impressionsLearned() == check.impressions()
        && check.positivesLearned() == check.positiveLabels()
        && check.snapshotRegressions() == 0
        && faults.stream().allMatch(f -> f.recoveredAtMillis() >= 0);
  }

  public ObjectNode toJson() {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("seed", settings.seed());
    root.put("minutes", settings.length().toSeconds() / 60.0);
    root.put("rate", settings.rate());
    root.put("model_id", modelId);
    ArrayNode list = root.putArray("faults");
    for (Fault f : faults) {
      ObjectNode o = list.addObject();
      o.put("kind", f.kind().label());
      o.put("target", f.target());
      o.put("at_s", (f.injectedAtMillis() - startMillis) / 1000.0);
      double r = f.recoverySeconds();
      if (Double.isNaN(r)) {
        o.putNull("recovery_s");
      } else {
        o.put("recovery_s", r);
      }
      o.put("error", f.error());
    }
    ObjectNode recovery = root.putObject("recovery");
    for (Fault.Kind kind : Fault.Kind.values()) {
      double[] times = recoveries(kind);
      if (count(kind) > 0) {
        ObjectNode k = recovery.putObject(kind.label());
        k.put("count", count(kind));
        k.put("p50_s", times.length == 0 ? Double.NaN : Metrics.median(times));
        k.put("max_s", times.length == 0 ? Double.NaN : times[times.length - 1]);
      }
    }
    ObjectNode c = root.putObject("check");
    c.put("events_sent", check.eventsSent());
    c.put("events_scored", check.eventsScored());
    c.put("lost", check.lost());
    c.put("duplicated", check.duplicated());
    c.put("dead_letters", check.deadLetters());
    c.put("impressions", check.impressions());
    c.put("impressions_learned", check.impressionsLearned());
    c.put("positive_labels", check.positiveLabels());
    c.put("positives_learned", check.positivesLearned());
    c.put("late_positives_learned", check.latePositivesLearned());
    c.put("late_positives_by_time", check.latePositivesByTime());
    c.put("learned_twice", check.learnedTwice());
    c.put("snapshot_regressions", check.snapshotRegressions());
    root.put("passed", passed());
    return root;
  }

  /** A few lines for a terminal: faults by kind with their recovery times, then the checks. */
  public String summary() {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "chaos seed %d: %d faults in %.0f min at %d events/s%n",
            settings.seed(),
            faults.size(),
            settings.length().toSeconds() / 60.0,
            settings.rate()));
    for (Fault.Kind kind : Fault.Kind.values()) {
      double[] times = recoveries(kind);
      if (count(kind) > 0) {
        b.append(
            String.format(
                Locale.ROOT,
                "  %-17s %3d   recovery p50 %5.1f s, max %5.1f s%s%n",
                kind.label(),
                count(kind),
                times.length == 0 ? Double.NaN : Metrics.median(times),
                times.length == 0 ? Double.NaN : times[times.length - 1],
                times.length < count(kind)
                    ? " (" + (count(kind) - times.length) + " not recovered)"
                    : ""));
      }
    }
    b.append(
        String.format(
            Locale.ROOT,
            "  events: %d sent, %d scored, %d lost, %d duplicated (read_committed); %d dead"
                + " letters%n  learned: %d of %d impressions, %d of %d positive labels (%d as late"
                + " positives, %d late by time), %d twice; %d snapshot regressions%n  %s%n",
            check.eventsSent(),
            check.eventsScored(),
            check.lost(),
            check.duplicated(),
            check.deadLetters(),
            check.impressionsLearned(),
            check.impressions(),
            check.positivesLearned(),
            check.positiveLabels(),
            check.latePositivesLearned(),
            check.latePositivesByTime(),
            check.learnedTwice(),
            check.snapshotRegressions(),
            passed() ? "PASSED" : "FAILED"));
    return b.toString();
  }

  private long count(Fault.Kind kind) {
    return faults.stream().filter(f -> f.kind() == kind).count();
  }

  /** Recovery times of {@code kind}'s recovered faults, sorted. */
  private double[] recoveries(Fault.Kind kind) {
    List<Double> out = new ArrayList<>();
    for (Fault f : faults) {
      if (f.kind() == kind && f.recoveredAtMillis() >= 0) {
        out.add(f.recoverySeconds());
      }
    }
    double[] a = out.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a;
  }
}
