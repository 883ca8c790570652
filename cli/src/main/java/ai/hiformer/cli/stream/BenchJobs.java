package ai.hiformer.cli.stream;

import ai.hiformer.features.io.Folders;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.stream.JobConfig;
import ai.hiformer.jobs.stream.StreamingJob;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The job or jobs under test, each on a MiniCluster of its own in this process: one job, or with
 * {@code scoring = jobs} a scoring job (the one measured: its checkpoints and scores) beside a
 * learning job. Parallelism 1, model id "bench", checkpoints in a temporary folder that {@link
 * #stop()} deletes.
 */
public final class BenchJobs {
  private final JobConfig config;
  private final JobClient job;
  private JobClient learnerJob; // null with one job, or once cancelled
  private final int restPort;
  private final Path tmp;

  private BenchJobs(JobConfig config, JobClient job, JobClient learnerJob, int restPort, Path tmp) {
    this.config = config;
    this.job = job;
    this.learnerJob = learnerJob;
    this.restPort = restPort;
    this.tmp = tmp;
  }

  /** The measured job's configuration. */
  public JobConfig config() {
    return config;
  }

  /** The measured job. */
  public JobClient job() {
    return job;
  }

  /** The measured job's REST port, for its checkpoint statistics. */
  public int restPort() {
    return restPort;
  }

  /** Whether a learning job runs beside the measured one. */
  public boolean hasLearnerJob() {
    return learnerJob != null;
  }

  /**
   * Starts the jobs. {@code scoring}: {@code replicas}, {@code inline} or {@code jobs}; {@code
   * updatesTopic}: whether the learner also publishes to the {@code model-updates} topic.
   */
  public static BenchJobs start(
      EmbeddedKafka kafka,
      String kind,
      String scoring,
      String delivery,
      long joinWindowMillis,
      Path specPath,
      int checkpointMillis,
      boolean updatesTopic)
      throws Exception {
    boolean twoJobs = scoring.equals("jobs");
    boolean replicas = scoring.equals("replicas") || twoJobs;
    Path tmp = Files.createTempDirectory("hiformer-bench");
    JobConfig.Builder configured =
        JobConfig.builder()
            .set(JobConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
            .set(JobConfig.MODEL_IDS, Set.of("bench"))
            .set(LearnerOptions.FEATURE_SPEC, Files.readString(specPath))
            .modelConfig(ModelConfig.builder(kind).profile(ModelProfile.ONLINE).build())
            .set(JobConfig.PARALLELISM, 1)
            .set(JobConfig.SCORES_DELIVERY, delivery)
            .set(JobConfig.LABEL_WINDOW_MS, joinWindowMillis)
            .set(JobConfig.CHECKPOINT_INTERVAL_MS, checkpointMillis)
            .set(JobConfig.CHECKPOINT_DIR, tmp.resolve("checkpoints").toUri().toString())
            .set(JobConfig.ROCKSDB_LOCAL_DIR, "/tmp/hiformer-rocksdb")
            .set(LearnerOptions.SCORING_PARALLELISM, replicas ? 1 : 0)
            .set(LearnerOptions.UPDATES_INTERVAL_MS, replicas ? 1000L : 0L)
            .set(JobConfig.UPDATES_TOPIC, updatesTopic ? "model-updates" : null);
    BenchmarkHooks.applyTo("job", configured);
    JobConfig config = configured.set(JobConfig.ROLE, twoJobs ? "score" : "all").build();
    JobClient learnerJob = null;
    if (twoJobs) {
      // The learning job's own hooks go on top of every job's.
      BenchmarkHooks.applyTo("learner", configured);
      JobConfig learnerConfig = configured.set(JobConfig.ROLE, "learn").build();
      Configuration learnerFlink = StreamingJob.flinkConfiguration(learnerConfig);
      learnerFlink.set(RestOptions.BIND_PORT, "0");
      BenchmarkHooks.applyTo(learnerFlink);
      learnerJob = execute(learnerFlink, learnerConfig, "benchmark-" + kind + "-learner");
    }
    Configuration flink = StreamingJob.flinkConfiguration(config);
    int restPort = MiniClusterRest.freePort();
    flink.set(RestOptions.BIND_PORT, Integer.toString(restPort));
    flink.set(RestOptions.PORT, restPort);
    flink.set(WebOptions.CHECKPOINTS_HISTORY_SIZE, 100_000); // every checkpoint
    BenchmarkHooks.applyTo(flink);
    JobClient job = execute(flink, config, "benchmark-" + kind);
    return new BenchJobs(config, job, learnerJob, restPort, tmp);
  }

  private static JobClient execute(Configuration flink, JobConfig config, String name)
      throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
    // 1 unless a hook sets job.parallelism (several learners want a subtask each).
    env.setParallelism(config.get(JobConfig.PARALLELISM));
    StreamingJob.build(env, config);
    return env.executeAsync(name);
  }

  /** Cancels the learning job alone (two jobs; the diagnostic hook stop-learner). */
  public void cancelLearner() throws Exception {
    if (learnerJob != null) {
      learnerJob.cancel().get();
      learnerJob = null;
    }
  }

  /**
   * Cancels the jobs and deletes their checkpoints (best effort: a cancelled job may still be
   * deleting its own files while this walks them).
   */
  public void stop() throws Exception {
    job.cancel().get();
    cancelLearner();
    Folders.deleteTreeQuietly(tmp, "benchmark-stream");
  }
}
