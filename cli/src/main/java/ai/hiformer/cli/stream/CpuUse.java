package ai.hiformer.cli.stream;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CPU per event over a measured interval, per thread group ({@link ThreadCpu}): microseconds of CPU
 * per event and cores in use, with the job's groups (what its TaskManagers would spend) summed
 * apart from the broker's, the load generator's and the rest.
 *
 * @param secondsByGroup CPU seconds per group
 * @param events events sent in the interval
 * @param wallSeconds the interval's length
 */
public record CpuUse(Map<String, Double> secondsByGroup, long events, double wallSeconds) {
  /** Nothing measured. */
  public static final CpuUse NONE = new CpuUse(Map.of(), 0, 0);

  /** The CPU between two samples, for {@code events} events; {@link #NONE} if either is null. */
  public static CpuUse of(ThreadCpu.Sample from, ThreadCpu.Sample to, long events) {
    if (from == null || to == null) {
      return NONE;
    }
    return new CpuUse(
        ThreadCpu.between(from, to), events, (to.wallNanos() - from.wallNanos()) / 1e9);
  }

  /** Microseconds of CPU per event spent by {@code seconds} of CPU. */
  public double microsPerEvent(double seconds) {
    return events == 0 ? Double.NaN : seconds * 1e6 / events;
  }

  /** Cores kept busy on average by {@code seconds} of CPU. */
  public double cores(double seconds) {
    return wallSeconds == 0 ? Double.NaN : seconds / wallSeconds;
  }

  /** CPU seconds of the job's own groups (what its TaskManagers would spend). */
  public double jobSeconds() {
    return sum(true);
  }

  /** CPU seconds of everything else in the process (broker, load generator, Flink's JobManager). */
  public double otherSeconds() {
    return sum(false);
  }

  private double sum(boolean job) {
    double s = 0;
    for (Map.Entry<String, Double> g : secondsByGroup.entrySet()) {
      if (ThreadCpu.isJob(g.getKey()) == job) {
        s += g.getValue();
      }
    }
    return s;
  }

  /** Groups by CPU seconds, largest first. */
  public List<Map.Entry<String, Double>> largestFirst() {
    List<Map.Entry<String, Double>> groups = new ArrayList<>(secondsByGroup.entrySet());
    groups.sort(Map.Entry.<String, Double>comparingByValue().reversed());
    return groups;
  }

  /** µs per event per group, largest first, as JSON-ready values. */
  public Map<String, Double> microsPerEventByGroup() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, Double> g : largestFirst()) {
      out.put(g.getKey(), Math.round(microsPerEvent(g.getValue()) * 10) / 10.0);
    }
    return out;
  }

  /** A table: group, µs per event, cores; the job's total first. */
  public void print(PrintStream out) {
    if (events == 0) {
      return;
    }
    out.printf(
        Locale.ROOT,
        "CPU over %.1f s, %,d events: the job %.1f µs/event (%.2f cores); everything else in this"
            + " process %.1f µs/event (%.2f cores)%n",
        wallSeconds,
        events,
        microsPerEvent(jobSeconds()),
        cores(jobSeconds()),
        microsPerEvent(otherSeconds()),
        cores(otherSeconds()));
    for (Map.Entry<String, Double> g : largestFirst()) {
      out.printf(
          Locale.ROOT,
          "  %8.1f µs/event  %5.2f cores  %s%n",
          microsPerEvent(g.getValue()),
          cores(g.getValue()),
          g.getKey());
    }
  }
}
