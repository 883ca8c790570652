package ai.hiformer.bench;

import ai.hiformer.learner.join.PendingExamples;
import java.util.Locale;

/**
 * Memory per impression waiting in the label join ({@link PendingExamples}, one model): holds N
 * impressions of a given encoded size, none released, then reports the heap in use after a full GC
 * per impression, beside the bytes the impression itself takes and the bytes one entry takes in a
 * checkpoint.
 *
 * <pre>
 * {@code java -Xmx8g -cp bench/target/benchmarks.jar ai.hiformer.bench.PendingMemory 1000000 90}
 * </pre>
 */
public final class PendingMemory {
  private PendingMemory() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int bytes = args.length > 1 ? Integer.parseInt(args[1]) : 90;
    long before = usedHeap();
    PendingExamples store =
        new PendingExamples(60_000, PendingExamples.bucketFor(60_000), 1, true, false);
    ai.hiformer.learner.join.ReleaseSink none =
        (id, b, l, p, c, late) -> {
          throw new AssertionError("nothing is released");
        };
    for (int i = 0; i < n; i++) {
      // Request ids as a typical producer writes them; impressions over 30 s of event time.
      store.impression("r" + (1_765_000_000_000L + i), i * 30_000L / n, new byte[bytes], none);
    }
    // In a method of its own: a local list of every change would stay reachable from this frame
    // and be counted as the store's.
    long checkpointBytes = checkpointBytes(store);
    long after = usedHeap();
    if (store.size() != n) {
      throw new AssertionError(store.size() + " held, expected " + n);
    }
    System.out.printf(
        Locale.ROOT,
        "{\"impressions\": %d, \"impression_bytes\": %d, \"heap_bytes_per_impression\": %.1f,"
            + " \"checkpoint_bytes_per_impression\": %.1f}%n",
        n,
        bytes,
        (after - before) / (double) n,
        checkpointBytes / (double) n);
  }

  /** What a checkpoint writes for the store: each entry and its key (the request id). */
  private static long checkpointBytes(PendingExamples store) {
    long bytes = 0;
    for (PendingExamples.Change c : store.drainChanges()) {
      bytes += c.entry().length + c.requestId().length();
    }
    return bytes;
  }

  private static long usedHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }
}
