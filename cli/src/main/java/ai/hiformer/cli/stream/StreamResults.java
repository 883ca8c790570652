package ai.hiformer.cli.stream;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What {@code benchmark-stream} reports: one configuration's figures, the checkpoint statistics it
 * reads from Flink's REST API, the table it prints and the JSON it writes (keys in
 * docs/BENCHMARKS.md, "benchmark-stream's JSON").
 */
public final class StreamResults {
  private StreamResults() {}

  /** One model's figures; -1 where nothing was measured. */
  public record Result(
      String model,
      String scoring,
      String delivery,
      String labels,
      double eventsPerSecond,
      long appendP50,
      long appendP99,
      long appendMax,
      long visibleP50,
      long visibleP99,
      long visibleMax,
      Checkpoints checkpoints,
      long freshnessP50,
      long freshnessP99,
      long freshnessMax,
      CpuUse cpu,
      AfterStream afterStream,
      double learnerWarmupExamplesPerSecond,
      List<MaxRateSearch.Step> steps) {}

  /**
   * The job's completed checkpoints triggered during phase 2 (the steady rate: what a checkpoint
   * costs at a given traffic), from Flink's checkpoint history, and the largest checkpoint of the
   * whole run (Flink's summary: it includes the warm-up, whose first checkpoint writes every row
   * the warm-up created); -1 where Flink reported none.
   */
  public record Checkpoints(
      long completed,
      long bytesMedian,
      long bytesMax,
      long msMedian,
      long msMax,
      long runBytesMax,
      long runMsMax) {
    public static Checkpoints of(com.fasterxml.jackson.databind.JsonNode stats, long sinceMillis) {
      List<Long> bytes = new ArrayList<>();
      List<Long> millis = new ArrayList<>();
      for (var c : stats.path("history")) {
        if ("COMPLETED".equals(c.path("status").asText())
            && c.path("trigger_timestamp").asLong() >= sinceMillis) {
          bytes.add(c.path("checkpointed_size").asLong());
          millis.add(c.path("end_to_end_duration").asLong());
        }
      }
      var s = stats.path("summary");
      return new Checkpoints(
          bytes.size(),
          median(bytes),
          max(bytes),
          median(millis),
          max(millis),
          s.path("checkpointed_size").path("max").asLong(-1),
          s.path("end_to_end_duration").path("max").asLong(-1));
    }

    private static long median(List<Long> v) {
      return v.isEmpty() ? -1 : v.stream().sorted().toList().get(v.size() / 2);
    }

    private static long max(List<Long> v) {
      return v.stream().mapToLong(Long::longValue).max().orElse(-1);
    }
  }

  /** The figures as JSON (keys in docs/BENCHMARKS.md, "benchmark-stream's JSON"). */
  public static void writeJson(
      Path file,
      List<Result> results,
      int distinctIds,
      int rate,
      int checkpointMs,
      double labelDelayMillis,
      long joinWindowMillis)
      throws java.io.IOException {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var root = json.createObjectNode();
    root.put("distinct_ids", distinctIds)
        .put("rate", rate)
        .put("checkpoint_ms", checkpointMs)
        .put("label_delay_mean_ms", labelDelayMillis)
        .put("join_window_ms", joinWindowMillis);
    var experiments = root.putObject("experiments");
    for (String kind : BenchmarkHooks.KINDS) {
      var settings = experiments.putObject(kind);
      BenchmarkHooks.experiments(kind).forEach(settings::put);
    }
    var runs = root.putArray("runs");
    for (Result r : results) {
      var run =
          runs.addObject()
              .put("model", r.model())
              .put("scoring", r.scoring())
              .put("delivery", r.delivery())
              .put("labels", r.labels())
              .put("events_per_s", r.eventsPerSecond())
              .put("append_p50_ms", r.appendP50())
              .put("append_p99_ms", r.appendP99())
              .put("append_max_ms", r.appendMax())
              .put("visible_p50_ms", r.visibleP50())
              .put("visible_p99_ms", r.visibleP99())
              .put("visible_max_ms", r.visibleMax())
              .put("checkpoints", r.checkpoints().completed())
              .put("checkpoint_bytes_median", r.checkpoints().bytesMedian())
              .put("checkpoint_bytes_max", r.checkpoints().bytesMax())
              .put("checkpoint_ms_median", r.checkpoints().msMedian())
              .put("checkpoint_ms_max", r.checkpoints().msMax())
              .put("run_checkpoint_bytes_max", r.checkpoints().runBytesMax())
              .put("run_checkpoint_ms_max", r.checkpoints().runMsMax())
              .put("freshness_p50_ms", r.freshnessP50())
              .put("freshness_p99_ms", r.freshnessP99())
              .put("freshness_max_ms", r.freshnessMax())
              .put("learner_warmup_examples_per_s", r.learnerWarmupExamplesPerSecond());
      CpuUse cpu = r.cpu();
      run.put("cpu_seconds", cpu.wallSeconds())
          .put("job_cpu_us_per_event", cpu.microsPerEvent(cpu.jobSeconds()))
          .put("job_cores", cpu.cores(cpu.jobSeconds()))
          .put("other_cpu_us_per_event", cpu.microsPerEvent(cpu.otherSeconds()));
      var groups = run.putObject("cpu_us_per_event");
      cpu.microsPerEventByGroup().forEach(groups::put);
      AfterStream after = r.afterStream();
      if (after != AfterStream.NONE) {
        var tail = run.putObject("after_stream");
        tail.put("last_window_close_ms", after.lastWindowCloseMillis())
            .put("idle_job_cores", after.idleCores())
            .put("idle_return_ms", after.returnMillis())
            .put("idle_return_after_window_close_ms", after.returnAfterWindowCloseMillis())
            .put("interval_ms", AfterStream.INTERVAL_MILLIS);
        var series = tail.putArray("job_cores");
        after.series().forEach(x -> series.add(x[1] / 1000.0));
      }
      if (!r.steps().isEmpty()) {
        var steps = run.putArray("max_rate_steps");
        for (MaxRateSearch.Step s : r.steps()) {
          steps
              .addObject()
              .put("rate", s.rate())
              .put("warmup", s.warmup())
              .put("passed", s.passed())
              .put("events", s.events())
              .put("scored", s.scored())
              .put("visible_p50_ms", s.visibleP50())
              .put("visible_p99_ms", s.visibleP99())
              .put("visible_max_ms", s.visibleMax())
              .put("learner_lag_midway_events", s.learnerLagMidway())
              .put("learner_lag_events", s.learnerLag())
              .put("learner_kept_up", s.learnerKeptUp())
              .put("job_cpu_us_per_event", s.cpu().microsPerEvent(s.cpu().jobSeconds()))
              .put("job_cores", s.cpu().cores(s.cpu().jobSeconds()));
        }
      }
    }
    json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    System.out.println("Wrote " + file);
  }

  /** A search's figures: those of its last passing step (-1 where none passed), and every step. */
  public static Result ofSearch(
      String kind,
      String scoring,
      String delivery,
      Traffic.Labels labels,
      List<MaxRateSearch.Step> steps) {
    MaxRateSearch.Step pass = null;
    for (MaxRateSearch.Step s : steps) {
      if (s.passed() && !s.warmup()) {
        pass = s;
      }
    }
    Checkpoints none = new Checkpoints(-1, -1, -1, -1, -1, -1, -1);
    return pass == null
        ? new Result(
            kind,
            scoring,
            delivery,
            labels.text(),
            -1,
            -1,
            -1,
            -1,
            -1,
            -1,
            -1,
            none,
            -1,
            -1,
            -1,
            CpuUse.NONE,
            AfterStream.NONE,
            -1,
            steps)
        : new Result(
            kind,
            scoring,
            delivery,
            labels.text(),
            pass.rate(),
            -1,
            -1,
            -1,
            pass.visibleP50(),
            pass.visibleP99(),
            pass.visibleMax(),
            none,
            -1,
            -1,
            -1,
            pass.cpu(),
            AfterStream.NONE,
            -1,
            steps);
  }

  /** The figures as a table on standard output, a row per configuration. */
  public static void printTable(List<Result> results) {
    System.out.println(
        "model      | scoring  | delivery      | labels | sustained events/s | appended p50 | p99 | max | visible p50 | p99 | max  (ms)"
            + " | phase-2 checkpoints: n, median bytes, median / max ms | freshness p50 / p99 ms");
    for (Result r : results) {
      System.out.printf(
          Locale.ROOT,
          "%-10s | %-8s | %-13s | %-6s | %,18.0f | %12d | %3d | %3d | %11d | %3d | %3d | %d, %,d, %d / %d | %d / %d%n",
          r.model(),
          r.scoring(),
          r.delivery(),
          r.labels(),
          r.eventsPerSecond(),
          r.appendP50(),
          r.appendP99(),
          r.appendMax(),
          r.visibleP50(),
          r.visibleP99(),
          r.visibleMax(),
          r.checkpoints().completed(),
          r.checkpoints().bytesMedian(),
          r.checkpoints().msMedian(),
          r.checkpoints().msMax(),
          r.freshnessP50(),
          r.freshnessP99());
    }
  }

  /** The values, sorted. */
  public static long[] sorted(List<Long> values) {
    long[] a = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(a);
    return a;
  }

  /** The q-quantile of sorted values (q = 1: the maximum); -1 when there are none. */
  public static long pct(long[] sorted, double q) {
    return sorted.length == 0
        ? -1
        : sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
  }
}
