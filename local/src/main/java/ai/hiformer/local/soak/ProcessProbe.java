package ai.hiformer.local.soak;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a soak samples of one JVM process: the live objects of its heap (the JDK's {@code jcmd
 * GC.class_histogram}, which runs a full collection first), its threads and its open file
 * descriptors (Linux's {@code /proc}). A forced collection once a minute costs a TaskManager a
 * pause of tens of milliseconds; the heap used after it is what the process really holds, which the
 * used heap between collections is not.
 */
final class ProcessProbe {
  /** The histogram's last line: {@code Total <instances> <bytes>}. */
  private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

  private ProcessProbe() {}

  /**
   * Heap the process retains, in MB: the smaller of two counts, {@link #RETAINED_GAP_MS} apart, of
   * the bytes of the live objects {@code jcmd GC.class_histogram} finds after the full collection
   * it runs; NaN if the process did not answer. (The used heap read right after a forced collection
   * is not it: a busy TaskManager allocates young and humongous regions again in between, which
   * swung two TaskManagers' figure between 115 and 315 MB while their live objects stayed at 114
   * MB.)
   *
   * <p>Why two: a learner holds a serving snapshot it has just captured (the soak's model: 14 MB of
   * learner bytes and the encoder's) for at most a checkpoint interval, until the checkpoint stages
   * it to files. A count that lands in that second reads 16 MB more: four of 50 samples of an hour
   * did (+12 to +14 %), while counts every 30 s in between held at the level. A leak raises both
   * counts; a capture in flight, one.
   */
  static double heapAfterGcMb(long pid) {
    return retained(() -> liveHeapMb(pid), 2, RETAINED_GAP_MS);
  }

  /**
   * The smallest of {@code readings} readings of {@code figure}, {@code gapMs} apart: what stays,
   * not what passes through (a serving snapshot in flight, see {@link #heapAfterGcMb}; a RocksDB
   * merge that has written its output and not yet deleted its inputs, see {@link
   * #retainedRocksDbMb}).
   */
  static double retained(java.util.function.DoubleSupplier figure, int readings, long gapMs) {
    double least = figure.getAsDouble();
    for (int i = 1; i < readings; i++) {
      try {
        Thread.sleep(gapMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return least;
      }
      least = Math.min(least, figure.getAsDouble());
    }
    return least;
  }

  /**
   * {@link #rocksDbMb} at its smallest over 10 s, read every second. Why a window: with changelog
   * checkpoints each RocksDB instance (the join's and the learner's, on each TaskManager) flushes
   * at every materialisation and may merge then, each at its own moment; a merge's inputs and
   * output sit side by side for a second or two. In an hour read every minute, two readings 3 s
   * apart still met a merge each once (50.2 MB against 43.1-45.5).
   */
  static double retainedRocksDbMb(Path tmp) {
    return retained(() -> rocksDbMb(tmp), 11, 1_000);
  }

  /** Longer than the learner's checkpoint interval (1 s), which bounds a capture's life. */
  static final long RETAINED_GAP_MS = 3_000;

  private static double liveHeapMb(long pid) {
    try {
      String histogram = jcmd(pid, "GC.class_histogram");
      Matcher total = TOTAL.matcher(histogram);
      return total.find() ? Long.parseLong(total.group(1)) / 1e6 : Double.NaN;
    } catch (IOException e) {
      return Double.NaN;
    }
  }

  /** Live threads of the process ({@code Threads:} of /proc/PID/status); -1 if it is gone. */
  static long threads(long pid) {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("Threads:")) {
          return Long.parseLong(line.substring("Threads:".length()).trim());
        }
      }
    } catch (IOException | NumberFormatException e) {
      // gone
    }
    return -1;
  }

  /** Open file descriptors of the process (entries of /proc/PID/fd); -1 if it is gone. */
  static long fileDescriptors(long pid) {
    try (Stream<Path> fds = Files.list(Paths.get("/proc", Long.toString(pid), "fd"))) {
      return fds.count();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * The TaskManagers' RocksDB instances under the cluster's tmp folder ({@code
   * tm_<id>/tmp/job_<job>_op_<operator>_...}, one per stateful operator and subtask), in MB; the
   * job's jar and Flink's own files beside them are left out. A merge in progress counts its inputs
   * and its output: an hour's soak read 74.7 MB once against 43–48 MB in the other 49 samples.
   */
  static double rocksDbMb(Path tmp) {
    double mb = 0;
    try (Stream<Path> taskManagers = Files.list(tmp)) {
      for (Path tm :
          taskManagers.filter(p -> p.getFileName().toString().startsWith("tm_")).toList()) {
        Path dir = tm.resolve("tmp");
        if (!Files.isDirectory(dir)) {
          continue;
        }
        try (Stream<Path> instances = Files.list(dir)) {
          for (Path db :
              instances.filter(p -> p.getFileName().toString().startsWith("job_")).toList()) {
            mb += diskMb(db);
          }
        }
      }
    } catch (IOException e) {
      // not there yet
    }
    return mb;
  }

  /** Bytes of the regular files under {@code dir} (0 if it does not exist), in MB. */
  static double diskMb(Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    long[] bytes = {0};
    try (Stream<Path> files = Files.walk(dir)) {
      files.forEach(
          p -> {
            try {
              if (Files.isRegularFile(p)) {
                bytes[0] += Files.size(p);
              }
            } catch (IOException e) {
              // deleted while walked (a compaction's input, an old checkpoint)
            }
          });
    } catch (IOException | java.io.UncheckedIOException e) {
      // a folder deleted while walked: count what was seen
    }
    return bytes[0] / 1e6;
  }

  private static String jcmd(long pid, String command) throws IOException {
    Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
    Process p =
        new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), command))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException("jcmd " + command + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return out;
  }
}
