package ai.hiformer.cli.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {
  @Test
  void flinkTaskThreadsAndTheirFetchersAreGroupedByOperatorChain() {
    assertThat(ThreadCpu.groupOf("join labels (1/2)#0")).isEqualTo("job: join labels");
    assertThat(ThreadCpu.groupOf("join labels (2/2)#3")).isEqualTo("job: join labels");
    assertThat(ThreadCpu.groupOf("Source: events -> decode + validate (1/1)#0"))
        .isEqualTo("job: Source: events -> decode + validate");
    assertThat(
            ThreadCpu.groupOf(
                "Source Data Fetcher for Source: events -> decode + validate (1/1)#0"))
        .isEqualTo("job: Source: events -> decode + validate [Kafka fetcher]");
  }

  @Test
  void kafkaClientThreadsGoToTheJobOrToTheLoadGeneratorByClientId() {
    assertThat(ThreadCpu.groupOf("kafka-producer-network-thread | producer-hiformer-scores-0-1"))
        .isEqualTo(ThreadCpu.JOB_PRODUCERS);
    assertThat(ThreadCpu.groupOf("kafka-producer-network-thread | bench-load"))
        .isEqualTo(ThreadCpu.LOAD);
    assertThat(ThreadCpu.groupOf("kafka-coordinator-heartbeat-thread | benchmark-visible"))
        .isEqualTo(ThreadCpu.LOAD);
    assertThat(ThreadCpu.groupOf("kafka-admin-client-thread | adminclient-3"))
        .isEqualTo(ThreadCpu.FLINK_OTHER);
  }

  @Test
  void brokerThreadsAreTheirOwnGroup() {
    assertThat(ThreadCpu.groupOf("data-plane-kafka-request-handler-0")).isEqualTo(ThreadCpu.BROKER);
    assertThat(ThreadCpu.groupOf("kafka-1-raft-io-thread")).isEqualTo(ThreadCpu.BROKER);
    assertThat(ThreadCpu.groupOf("ExpirationReaper-1-Produce")).isEqualTo(ThreadCpu.BROKER);
  }

  @Test
  void nativeThreadsAreKnownByTheirKernelNames() {
    assertThat(ThreadCpu.nativeGroupOf("rocksdb:low")).isEqualTo(ThreadCpu.ROCKSDB);
    assertThat(ThreadCpu.nativeGroupOf("C2 CompilerThre")).isEqualTo(ThreadCpu.JVM_COMPILER);
    assertThat(ThreadCpu.nativeGroupOf("ZWorker#3")).isEqualTo(ThreadCpu.JVM_COLLECTOR);
    assertThat(ThreadCpu.nativeGroupOf("VM Thread")).isEqualTo(ThreadCpu.JVM_OTHER);
    assertThat(ThreadCpu.nativeGroupOf("join labels (1")).isNull();
  }

  @Test
  void procStatTicksSkipAThreadNameWithSpacesAndParentheses() {
    String stat = "4242 (join labels (1) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 0 0";
    assertThat(ThreadCpu.ticks(stat)).isEqualTo(300);
  }

  @Test
  void aBusyThreadShowsUpInItsGroupBetweenTwoSamples() throws Exception {
    java.util.concurrent.CountDownLatch spun = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch sampled = new java.util.concurrent.CountDownLatch(1);
    Thread busy =
        new Thread(
            () -> {
              var mx = java.lang.management.ManagementFactory.getThreadMXBean();
              double x = 0;
              while (mx.getCurrentThreadCpuTime() < 50_000_000L) { // 50 ms of its own CPU
                x += Math.sqrt(x + 1);
              }
              spun.countDown();
              try {
                sampled.await(); // alive while sampled: a thread that ended is not listed
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "bench-spinner");
    ThreadCpu.Sample before = ThreadCpu.take();
    busy.start();
    spun.await();
    ThreadCpu.Sample after = ThreadCpu.take();
    sampled.countDown();
    busy.join();
    Map<String, Double> seconds = ThreadCpu.between(before, after);
    assertThat(seconds.get(ThreadCpu.LOAD)).isGreaterThanOrEqualTo(0.05);
  }
}
