package ai.hiformer.jobs.operators;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * Lowers the CPU priority (raises the nice value) of the calling thread, on Linux. Under Linux's
 * NPTL threads the nice value belongs to each thread, not the process, so the learner's task thread
 * can yield to the scorers' threads in the same TaskManager without any other thread changing.
 * Raising one's own nice value needs no privilege. Java 17 has no call for it, so this asks {@code
 * renice --priority} (an absolute value; newer util-linux reads a bare {@code -n} as an increment)
 * for the thread id that {@code /proc/thread-self} names, and checks the value that results; where
 * either is missing (not Linux, no util-linux) it does nothing and says so.
 */
final class ThreadNiceness {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(ThreadNiceness.class);
  private static final Path THREAD_SELF = Path.of("/proc/thread-self");

  private ThreadNiceness() {}

  /**
   * Sets the calling thread's nice value to {@code niceness} (0 = unchanged, 19 = lowest priority).
   *
   * @return whether the thread now runs at that nice value
   */
  static boolean lowerCurrentThread(int niceness) {
    if (niceness <= 0) {
      return true;
    }
    try {
      if (!Files.exists(THREAD_SELF)) {
        LOG.warn(
            "Cannot lower this thread's CPU priority: no {} (not Linux); it keeps nice 0",
            THREAD_SELF);
        return false;
      }
      String threadId = Files.readSymbolicLink(THREAD_SELF).getFileName().toString();
      Process renice =
          new ProcessBuilder("renice", "--priority", Integer.toString(niceness), "-p", threadId)
              .redirectErrorStream(true)
              .start();
      String output =
          new String(
              renice.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      boolean ended = renice.waitFor(10, TimeUnit.SECONDS);
      OptionalInt now = niceOf(threadId);
      if (ended && now.isPresent() && now.getAsInt() == niceness) {
        return true;
      }
      LOG.warn(
          "Cannot lower thread {}'s CPU priority to nice {}: renice said '{}'",
          threadId,
          niceness,
          output.trim());
      return false;
    } catch (IOException e) {
      LOG.warn("Cannot lower this thread's CPU priority to nice {}: {}", niceness, e.toString());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The nice value of the calling thread, where Linux tells it. */
  static OptionalInt currentNiceness() {
    try {
      return niceOf(Files.readSymbolicLink(THREAD_SELF).getFileName().toString());
    } catch (IOException | UnsupportedOperationException e) {
      return OptionalInt.empty();
    }
  }

  /**
   * Field 19 of {@code /proc/self/task/<tid>/stat} (proc(5)), counted after the command name's
   * closing bracket.
   */
  private static OptionalInt niceOf(String threadId) throws IOException {
    Path stat = Path.of("/proc/self/task", threadId, "stat");
    if (!Files.exists(stat)) {
      return OptionalInt.empty();
    }
    String text = Files.readString(stat);
    String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
    return OptionalInt.of(Integer.parseInt(fields[19 - 3]));
  }
}
