package ai.hiformer.cli.stream;

import ai.hiformer.jobs.stream.JobConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the job does after its traffic stops: the cores its threads use in each interval of a
 * watched tail, the idle level they settle at, and when they got there.
 *
 * <p>Times are milliseconds from the last event sent. {@code lastWindowCloseMillis} is when the
 * last label's window closes at the latest, as the job's configuration puts it: with an event-time
 * join, an events partition that falls silent for {@code join.idle-ms} moves its watermark on with
 * the wall clock, so the window of the last impression (its event time + {@code join.window-ms})
 * closes once that watermark, trailing by {@code join.allowed-lateness-ms}, passes it. {@code
 * idleCores} is the median of the tail's last {@link #IDLE_INTERVALS} intervals, and {@code
 * returnMillis} the start of the first interval from which every later one stays within {@link
 * #TOLERANCE_CORES} of it (-1 when the tail never settled).
 *
 * @param series (interval start ms after the last event, job cores over the interval)
 */
public record AfterStream(
    long lastWindowCloseMillis, double idleCores, long returnMillis, List<long[]> series) {
  public static final AfterStream NONE = new AfterStream(-1, Double.NaN, -1, List.of());

  /** How far above the idle level an interval may be and still count as idle (cores). */
  public static final double TOLERANCE_CORES = 0.05;

  /** How many of the tail's last intervals make the idle level. */
  public static final int IDLE_INTERVALS = 6;

  /** The interval the job's CPU is read over (ms): /proc counts in 10 ms ticks. */
  public static final long INTERVAL_MILLIS = 500;

  /** Milliseconds after the stream stopped until it returned, counted from the window's close. */
  public long returnAfterWindowCloseMillis() {
    return returnMillis < 0 ? -1 : Math.max(0, returnMillis - lastWindowCloseMillis);
  }

  /**
   * Reads the job's threads every {@link #INTERVAL_MILLIS} from {@code lastEventNanos} (a {@link
   * System#nanoTime()} reading taken when the last event was sent) for {@code tailMillis}.
   */
  public static AfterStream watch(long lastEventNanos, long lastWindowCloseMillis, long tailMillis)
      throws InterruptedException {
    List<long[]> series = new ArrayList<>();
    List<Double> cores = new ArrayList<>();
    ThreadCpu.Sample before = ThreadCpu.take();
    long beforeNanos = System.nanoTime();
    while ((beforeNanos - lastEventNanos) / 1_000_000 < tailMillis) {
      Thread.sleep(INTERVAL_MILLIS);
      ThreadCpu.Sample after = ThreadCpu.take();
      long afterNanos = System.nanoTime();
      double jobSeconds = CpuUse.of(before, after, 0).jobSeconds();
      double c = jobSeconds / ((afterNanos - beforeNanos) / 1e9);
      series.add(new long[] {(beforeNanos - lastEventNanos) / 1_000_000, Math.round(c * 1000)});
      cores.add(c);
      before = after;
      beforeNanos = afterNanos;
    }
    return of(lastWindowCloseMillis, series, cores);
  }

  /** The idle level and return time of a watched tail ({@code cores} in the order of series). */
  static AfterStream of(long lastWindowCloseMillis, List<long[]> series, List<Double> cores) {
    if (cores.size() < IDLE_INTERVALS) {
      return new AfterStream(lastWindowCloseMillis, Double.NaN, -1, series);
    }
    double[] last =
        cores.subList(cores.size() - IDLE_INTERVALS, cores.size()).stream()
            .mapToDouble(Double::doubleValue)
            .sorted()
            .toArray();
    double idle = (last[(last.length - 1) / 2] + last[last.length / 2]) / 2;
    int from = cores.size();
    while (from > 0 && cores.get(from - 1) <= idle + TOLERANCE_CORES) {
      from--;
    }
    long returned = from == cores.size() ? -1 : series.get(from)[0];
    return new AfterStream(lastWindowCloseMillis, idle, returned, List.copyOf(series));
  }

  /**
   * When the last impression's label window closes at the latest, in ms after the last event (see
   * {@link AfterStream}); 0 for inline labels, which need no window.
   */
  public static long lastWindowCloseMillis(JobConfig config, Traffic.Labels labels) {
    if (labels == Traffic.Labels.INLINE) {
      return 0;
    }
    long window = config.get(JobConfig.LABEL_WINDOW_MS);
    return config.get(JobConfig.JOIN_TIME).equals("event")
        ? window
            + config.get(JobConfig.JOIN_ALLOWED_LATENESS_MS)
            + config.get(JobConfig.JOIN_IDLE_MS)
        : window;
  }

  @Override
  public String toString() {
    return String.format(
        java.util.Locale.ROOT,
        "after the stream: idle %.2f cores, reached %d ms after the last event (the last window"
            + " closes by %d ms); job cores per %d ms: %s",
        idleCores,
        returnMillis,
        lastWindowCloseMillis,
        INTERVAL_MILLIS,
        Arrays.toString(series.stream().mapToDouble(s -> s[1] / 1000.0).toArray()));
  }
}
