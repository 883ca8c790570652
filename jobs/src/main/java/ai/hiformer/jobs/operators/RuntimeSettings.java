package ai.hiformer.jobs.operators;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.learner.ModelRuntime;

/**
 * The options a model's runtime takes once built or restored (configuration, not state): when it
 * snapshots (learner 0 only, with several learners), its quality gate, its step threads and how the
 * labels it learns relate to the truth.
 */
final class RuntimeSettings {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ModelFunction.class);

  private RuntimeSettings() {}

  static void apply(LearnerOptions config, String key, ModelRuntime r) {
    if (config.get(LearnerOptions.SNAPSHOT_DIR) != null && LearnerPeers.publishes(key)) {
      r.snapshotPolicy(
          config.get(LearnerOptions.SNAPSHOT_EVERY_EXAMPLES),
          config.get(LearnerOptions.SNAPSHOT_EVERY_EVENT_TIME_MS));
    }
    r.qualityGate(
        config.get(LearnerOptions.QUALITY_WINDOW),
        config.get(LearnerOptions.QUALITY_AUC_MARGIN),
        config.get(LearnerOptions.QUALITY_MAX_HELD_EXAMPLES),
        reason ->
            LOG.warn(
                "model {}: version {} held back from serving by the quality gate: {}",
                key,
                r.version(),
                reason));
    r.learner().threads(config.get(LearnerOptions.THREADS));
    r.labelPolicy(
        config.get(LearnerOptions.NEGATIVE_SAMPLING), config.get(LearnerOptions.LATE_POSITIVES));
  }
}
