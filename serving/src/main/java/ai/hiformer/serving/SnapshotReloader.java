package ai.hiformer.serving;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes a registry every {@code seconds} on a daemon thread until closed: the scoring server's,
 * and Flink SQL's model provider's.
 */
public final class SnapshotReloader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotReloader.class);
  private final ScheduledExecutorService executor;

  public SnapshotReloader(ModelRegistry registry, long seconds) {
    if (seconds < 1) {
      throw new IllegalArgumentException("invalid reload-seconds = " + seconds + "; allowed: >= 1");
    }
    executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "snapshot-reloader");
              t.setDaemon(true);
              return t;
            });
    // The registry never throws; the catch is the last guard, since a scheduled task that throws is
    // never run again and the reader would silently stop following new versions.
    executor.scheduleWithFixedDelay(
        () -> {
          try {
            registry.refresh();
          } catch (Throwable t) {
            LOG.error("snapshot reload failed; retrying in {} s", seconds, t);
          }
        },
        seconds,
        seconds,
        TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
