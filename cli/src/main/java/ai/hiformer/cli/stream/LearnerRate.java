package ai.hiformer.cli.stream;

import ai.hiformer.local.embedded.EmbeddedKafka;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;

/**
 * The learner's rate through the warm-up flood, in examples/s: a watcher polls the learner's
 * consumer group every 100 ms and notes when its committed position first reaches 10 % and 90 % of
 * the warm-up's events; the rate is the 80 % between over the time between. The group commits at
 * checkpoints, so each mark is late by up to one checkpoint interval (both alike); a flood of at
 * least tens of checkpoint intervals keeps that error to a few percent. Only where the learner has
 * its own group (scoring replicas or two jobs): with inline scoring the learner is the scorer.
 */
public final class LearnerRate implements AutoCloseable {
  /** No measurement (inline scoring, or the flood never reached 90 %). */
  public static final LearnerRate NONE = new LearnerRate();

  private final Thread watcher;
  private volatile long tenPercentNanos = -1;
  private volatile long ninetyPercentNanos = -1;
  private final int events;

  private LearnerRate() {
    watcher = null;
    events = 0;
  }

  private LearnerRate(String bootstrap, String group, int events) {
    this.events = events;
    watcher = new Thread(() -> watch(bootstrap, group), "learner-rate");
    watcher.setDaemon(true);
    watcher.start();
  }

  /** Starts watching {@code group} through the first {@code events} events. */
  public static LearnerRate watch(EmbeddedKafka kafka, String group, int events) {
    return new LearnerRate(kafka.bootstrapServers(), group, events);
  }

  private void watch(String bootstrap, String group) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(p)) {
      while (!Thread.currentThread().isInterrupted()) {
        long committed = MaxRateSearch.committed(admin, group);
        long now = System.nanoTime();
        if (tenPercentNanos < 0 && committed >= events / 10) {
          tenPercentNanos = now;
        }
        if (committed >= events * 9L / 10) {
          ninetyPercentNanos = now;
          return;
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      System.err.println("learner rate: " + e);
    }
  }

  /** Shorter spans between the marks are not resolved by commits once a checkpoint interval. */
  private static final long MIN_SPAN_NANOS = 5_000_000_000L;

  /**
   * Examples/s between the 10 % and 90 % marks; -1 when not measured, or when the marks lie less
   * than 5 s apart (a short warm-up, which commits at checkpoints cannot resolve).
   */
  public double examplesPerSecond() {
    long a = tenPercentNanos;
    long b = ninetyPercentNanos;
    return a < 0 || b - a < MIN_SPAN_NANOS ? -1 : 0.8 * events / ((b - a) / 1e9);
  }

  /** Prints the rate for the run named {@code run}, when measured. */
  public void print(String run) {
    if (examplesPerSecond() > 0) {
      System.out.printf(
          java.util.Locale.ROOT,
          "%s: the learner through the warm-up: %.0f examples/s%n",
          run,
          examplesPerSecond());
    }
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.interrupt();
    }
  }
}
