package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.local.embedded.EmbeddedKafka;
import java.nio.file.Path;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster whose TaskManagers keep the changelog in memory (Flink's default, which a job's
 * configuration cannot change on a real cluster) gets a job with changelog checkpoints refused when
 * the learner starts, naming the cluster options to set, instead of running until its checkpoints
 * outgrow the RPC frame.
 */
class ChangelogStorageCheckITCase {
  @TempDir Path tmp;

  @Test
  void aTaskManagerThatKeepsTheChangelogInMemoryIsRefusedNamingTheOptionsToSet() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "events", "labels", "scores", "dead-letters");
      JobConfig config =
          JobTestKit.config(kafka.bootstrapServers(), tmp, "m")
              .set(JobConfig.BOUNDED, true)
              .build();
      assertThat(config.changelogCheckpoints()).as("the exactly-once default").isTrue();
      // No MiniCluster extension here: the environment starts its own cluster from this
      // configuration, whose TaskManager is told to keep the changelog in memory (as a cluster
      // without the options does).
      Configuration conf = StreamingJob.flinkConfiguration(config);
      conf.setString("state.changelog.storage", "memory");
      conf.setString("restart-strategy.type", "none");
      StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
      StreamingJob.build(env, config);
      assertThatThrownBy(() -> env.execute("changelog-in-memory"))
          .rootCause()
          .hasMessageContaining("state.changelog.storage: memory")
          .hasMessageContaining("state.changelog.storage: filesystem and dstl.dfs.base-path")
          .hasMessageContaining("checkpoint.changelog=false");
    }
  }
}
