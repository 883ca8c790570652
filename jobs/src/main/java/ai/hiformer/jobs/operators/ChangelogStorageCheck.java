package ai.hiformer.jobs.operators;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateChangelogOptions;

/**
 * Refuses to run checkpoints through Flink's changelog state backend when the TaskManager keeps the
 * changelog in memory. Where the changelog goes is a TaskManager setting that a job cannot make
 * ({@code state.changelog.storage} and {@code dstl.dfs.base-path} in the cluster's configuration),
 * and Flink's default, memory, fails late and quietly: every checkpoint carries the changes since
 * the last materialisation inside its acknowledgement, which at a million rows outgrows Flink's 10
 * MB RPC frame within seconds, after which no checkpoint completes and no exactly-once score is
 * committed again. Failing when the learner starts names the keys instead.
 */
public final class ChangelogStorageCheck {
  /**
   * The changelog backend's class, by name: the job's jar and the cluster may each load their own
   * copy.
   */
  static final String CHANGELOG_BACKEND =
      "org.apache.flink.state.changelog.ChangelogKeyedStateBackend";

  private ChangelogStorageCheck() {}

  /** Whether {@code keyedBackend} (possibly null) is Flink's changelog state backend. */
  static boolean isChangelog(Object keyedBackend) {
    return keyedBackend != null && keyedBackend.getClass().getName().equals(CHANGELOG_BACKEND);
  }

  /**
   * @param keyedBackend the operator's keyed state backend
   * @param taskManager the configuration of the TaskManager the operator runs in
   * @throws IllegalStateException if the backend is the changelog one and the TaskManager keeps it
   *     in memory
   */
  /**
   * The job option that turns changelog checkpoints on ({@code JobConfig.CHECKPOINT_CHANGELOG}).
   */
  public static final String CHANGELOG_KEY = "checkpoint.changelog";

  static void requireDurableStorage(Object keyedBackend, Configuration taskManager) {
    if (!isChangelog(keyedBackend)) {
      return;
    }
    String storage = taskManager.get(StateChangelogOptions.STATE_CHANGE_LOG_STORAGE);
    if (!storage.equalsIgnoreCase("filesystem")) {
      throw new IllegalStateException(
          CHANGELOG_KEY
              + " is on (auto turns it on with"
              + " scores.delivery=exactly-once), but this TaskManager keeps the changelog in memory ("
              + StateChangelogOptions.STATE_CHANGE_LOG_STORAGE.key()
              + ": "
              + storage
              + "), inside every checkpoint,"
              + " until the checkpoints outgrow Flink's RPC frame. Set in the cluster's configuration "
              + StateChangelogOptions.STATE_CHANGE_LOG_STORAGE.key()
              + ": filesystem and dstl.dfs.base-path: <a directory"
              + " that the JobManager and every TaskManager reach>, or run the job with "
              + CHANGELOG_KEY
              + "=false");
    }
  }
}
