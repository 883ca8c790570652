package ai.hiformer.jobs.operators;

import ai.hiformer.learner.ModelRuntime;
import java.util.Map;

/**
 * The learner's progress in the TaskManager's log, every 30 s at most: per model key its version,
 * events scored, examples trained and pending, the first task's progressive AUC and log-loss, and
 * with several learners the exchanges applied.
 */
final class ProgressLog {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ModelFunction.class);
  private static final long EVERY_MS = 30_000;

  private final String firstTask;
  private long lastLog;

  ProgressLog(String firstTask) {
    this.firstTask = firstTask;
  }

  /** Logs every runtime if the last line is 30 s old. */
  void maybeLog(Map<String, ModelRuntime> runtimes, LearnerPeers peers) {
    long now = System.currentTimeMillis();
    if (now - lastLog < EVERY_MS) {
      return;
    }
    lastLog = now;
    for (Map.Entry<String, ModelRuntime> e : runtimes.entrySet()) {
      ModelRuntime r = e.getValue();
      LOG.info(
          "model {} v{}: {} events scored, {} examples trained, {} pending{}; task {} progressive"
              + " AUC {} log-loss {}",
          LearnerPeers.nameOf(e.getKey()),
          r.version(),
          r.scored(),
          r.trainedExamples(),
          r.pendingExamples(),
          peers == null
              ? ""
              : String.format(
                  ", %d exchanges applied (deltas delivered in %.0f ms on average, %d ms waited"
                      + " for peers)",
                  peers.applied(e.getKey()),
                  peers.deliveryMillis(e.getKey()),
                  peers.waitedMillis(e.getKey())),
          firstTask,
          String.format("%.4f", r.metrics().task(0).auc()),
          String.format("%.4f", r.metrics().task(0).logLoss()));
    }
  }
}
