package ai.hiformer.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.embedded.Replayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two learners of one model ({@code learn.parallelism=2}) on a real cluster (JobManager, two
 * TaskManagers and a Kafka broker, each its own process), exchanging through the learner-exchange
 * topic. A TaskManager is SIGKILLed mid-stream. Afterwards every event is scored exactly once
 * (read_committed), the examples the two learners learnt add up to the labelled events exactly
 * (none twice, none lost: the restore brought both back to one checkpoint), both applied the same
 * exchanges, and learner 0's progressive AUC is near that of the same stream learnt without a
 * failure, in a job of its own before.
 */
class ParallelLearnersClusterIT {
  private static final String MODEL = "synthetic";
  private static final String EXCHANGE = "learner-exchange";
  private static final int EVENTS = 6000;

  @RegisterExtension static final ProcessCluster CLUSTER = new ProcessCluster(1, false);

  private static ReplaySource source;

  @BeforeAll
  static void loadStream() throws Exception {
    CLUSTER.get().createTopics(1, EXCHANGE);
    // Several learners need hashed keys: the synthetic spec with them.
    String exact = Files.readString(ClusterTestKit.syntheticSource().specPath());
    String hashed =
        exact.replace(
            "\"embedding\": {\"keys\": \"exact\", \"capacity\": 1000000, \"ttl_events\": 0}",
            "\"embedding\": {\"keys\": \"hashed\", \"buckets\": 65536}");
    assertThat(hashed).as("the spec's embedding line").isNotEqualTo(exact);
    Path spec = CLUSTER.home().resolve("synthetic-hashed.json");
    Files.writeString(spec, hashed);
    source = new ReplaySource(null, spec, FeatureSpec.load(spec));
  }

  /**
   * The same stream learnt by the same two learners without a failure, in a job of its own (its own
   * topics and model id): learner 0's progressive AUC once both learnt every event.
   */
  private static double uninterruptedAuc() throws Exception {
    String model = MODEL + "-whole";
    CLUSTER
        .get()
        .createTopics(2, "whole-events", "whole-labels", "whole-scores", "whole-dead-letters");
    CLUSTER.get().createTopics(1, "whole-exchange");
    String jobId =
        submit(
            model,
            "--topics.learner-exchange=whole-exchange",
            "--topics.events=whole-events",
            "--topics.labels=whole-labels",
            "--topics.scores=whole-scores",
            "--topics.dead-letters=whole-dead-letters",
            "--kafka.group-id=whole",
            "--kafka.transactional-id-prefix=whole");
    replay(model, "whole-events").get();
    ClusterTestKit.awaitCondition(
        () ->
            learnerMetric(jobId, model, "task.click.examples")
                    + learnerMetric(jobId, model + "#1", "task.click.examples")
                == EVENTS,
        "the uninterrupted run's learners through all " + EVENTS + " events");
    double auc = learnerMetric(jobId, model, "task.click.progressiveAuc");
    System.out.println("without a failure: " + exchanges(jobId, model));
    CLUSTER.get().cancel(jobId);
    return auc;
  }

  /** The two learners' exchange gauges, as a line for the log. */
  private static String exchanges(String jobId, String model) throws Exception {
    double[] v = new double[8];
    String[] gauges = {
      "exchangesApplied", "exchangeDeliveryMillis", "exchangeWaitMillis", "examplesMerged"
    };
    for (int g = 0; g < gauges.length; g++) {
      v[2 * g] = learnerMetric(jobId, model, gauges[g]);
      v[2 * g + 1] = learnerMetric(jobId, model + "#1", gauges[g]);
    }
    return String.format(
        "%.0f and %.0f exchanges applied, deltas delivered in %.0f and %.0f ms on average, %.0f"
            + " and %.0f ms waited for a peer, %.0f and %.0f examples merged",
        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
  }

  /** Submits the job for {@code model}, two learners, parallelism 2, with {@code more} options. */
  private static String submit(String model, String... more) throws Exception {
    List<String> args =
        ClusterTestKit.jobArgs(CLUSTER.get(), source.specPath(), model, 2, "--learn.parallelism=2");
    args.addAll(List.of(more));
    return CLUSTER.get().submit(2, null, args);
  }

  /** The synthetic stream of {@code model}, request ids pl-0 .., 1,000 events a second. */
  private static CompletableFuture<Void> replay(String model, String topic) {
    Properties producer = CLUSTER.clientProperties();
    return ClusterTestKit.inBackground(
        () ->
            new Replayer(source, model)
                .replay(producer, topic, "pl-", EVENTS, 1000, (id, y) -> {}));
  }

  @Test
  void twoLearnersLoseAndRepeatNothingAcrossATaskManagerKill() throws Exception {
    double uninterrupted = uninterruptedAuc();
    String jobId = submit(MODEL, "--topics.learner-exchange=" + EXCHANGE);
    CompletableFuture<Void> replay = replay(MODEL, "events");
    ClusterTestKit.awaitScores(CLUSTER.get(), jobId, "pl-", 1500); // mid-stream, checkpoints behind
    ClusterTestKit.killATaskManagerAndAssertEachScoredOnce(
        CLUSTER.get(), jobId, replay, "pl-", EVENTS);

    // Once idle, each learner trains its partial micro-batch and sends what it learnt since its
    // last delta, and a learner a peer waits for answers even with nothing; then both have learnt
    // every labelled event once, applied the same exchanges, and merged every example once (each
    // delta counts the examples it carries).
    long[] seen = new long[6];
    try {
      ClusterTestKit.awaitCondition(
          () -> {
            seen[0] = (long) learnerMetric(jobId, MODEL, "task.click.examples");
            seen[1] = (long) learnerMetric(jobId, MODEL + "#1", "task.click.examples");
            seen[2] = (long) learnerMetric(jobId, MODEL, "exchangesApplied");
            seen[3] = (long) learnerMetric(jobId, MODEL + "#1", "exchangesApplied");
            seen[4] = (long) learnerMetric(jobId, MODEL, "examplesMerged");
            seen[5] = (long) learnerMetric(jobId, MODEL + "#1", "examplesMerged");
            return seen[0] + seen[1] == EVENTS
                && seen[2] == seen[3]
                && seen[2] > 0
                && seen[4] == EVENTS
                && seen[5] == EVENTS;
          },
          "both learners' examples adding up to "
              + EVENTS
              + ", the same exchanges applied, and every example merged once in both");
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage() + "; last seen " + java.util.Arrays.toString(seen), e);
    }
    double auc = learnerMetric(jobId, MODEL, "task.click.progressiveAuc");
    System.out.println("after the restore: " + exchanges(jobId, MODEL));
    System.out.printf(
        "two learners on the cluster, a TaskManager killed: %d + %d examples learnt of %d"
            + " events, %d and %d exchanges applied; learner 0's progressive AUC %.4f, without"
            + " the failure %.4f (%+.4f)%n",
        seen[0], seen[1], EVENTS, seen[2], seen[3], auc, uninterrupted, auc - uninterrupted);
    assertThat(seen[0]).as("learner 0's share").isBetween(EVENTS / 4L, EVENTS * 3 / 4L);
    // Undisturbed runs of this short stream spread by about 0.01 between them, and the differences
    // measured were -0.007 to +0.013 (docs/DESIGN.md), so this bounds only what a restore that lost
    // or garbled the model would cost (the stream's AUC is about 0.55; an untrained model's 0.5).
    // One-sided: a learner behind its peers after the restore predicts with what they learnt from
    // later events (a look-ahead that raised it by 0.11 in one CI run); a lost model lowers it.
    assertThat(auc)
        .as("learner 0's progressive AUC against the uninterrupted run's")
        .isGreaterThan(uninterrupted - 0.03);
  }

  /**
   * A learner's gauge (its metric group {@code model.<key>}), from the subtask that holds it
   * (Flink's REST API); -1 while none does.
   */
  private static double learnerMetric(String jobId, String key, String name) throws Exception {
    String suffix = ".model." + key + "." + name;
    return CLUSTER.metric(jobId, id -> id.endsWith(suffix), "max").orElse(-1);
  }
}
