package ai.hiformer.model.train;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * K − 1 long-lived threads and the caller, running one task on K workers at a time: {@link #run}
 * calls {@code task.run(k)} for k = 0..K−1, worker 0 on the calling thread, and returns when all
 * have finished. A micro-batch step forks and joins twice (forward, backward), a few milliseconds
 * apart, so workers spin for a few microseconds before parking and a step pays for wake-ups only
 * after a pause.
 *
 * <p>Not thread-safe: one caller at a time. A failure in any worker is rethrown to the caller once
 * every worker has finished.
 */
final class WorkerThreads implements AutoCloseable {
  /** Work for one worker. */
  interface Task {
    void run(int worker);
  }

  private static final long SPIN_NANOS = 20_000;

  private final Thread[] threads;
  private final AtomicInteger pending = new AtomicInteger();
  private volatile Task task;
  private volatile long generation;
  private volatile Thread caller;
  private volatile Throwable failure;
  private volatile boolean closed;

  /**
   * @param workers K ≥ 2 (the caller is one of them)
   * @param name thread name prefix
   */
  WorkerThreads(int workers, String name) {
    if (workers < 2) {
      throw new IllegalArgumentException("workers = " + workers + "; allowed: >= 2");
    }
    threads = new Thread[workers - 1];
    for (int i = 0; i < threads.length; i++) {
      int worker = i + 1;
      threads[i] = new Thread(() -> loop(worker), name + "-" + worker);
      threads[i].setDaemon(true);
      threads[i].start();
    }
  }

  int workers() {
    return threads.length + 1;
  }

  /** Runs {@code work} on every worker and waits for all of them. */
  void run(Task work) {
    if (closed) {
      throw new IllegalStateException("worker threads closed");
    }
    failure = null;
    caller = Thread.currentThread();
    pending.set(threads.length);
    task = work;
    generation++; // volatile write after task: a worker that sees the new generation sees the task
    for (Thread t : threads) {
      LockSupport.unpark(t);
    }
    try {
      work.run(0);
    } catch (Throwable e) {
      recordFailure(e);
    }
    long spinUntil = System.nanoTime() + SPIN_NANOS;
    while (pending.get() != 0) {
      if (System.nanoTime() < spinUntil) {
        Thread.onSpinWait();
      } else {
        LockSupport.park(this);
      }
    }
    task = null;
    Throwable f = failure;
    if (f instanceof RuntimeException r) {
      throw r;
    }
    if (f instanceof Error e) {
      throw e;
    }
    if (f != null) {
      throw new IllegalStateException(f);
    }
  }

  private void loop(int worker) {
    long seen = 0;
    long spinUntil = 0;
    while (!closed) {
      long g = generation;
      if (g == seen) {
        if (System.nanoTime() < spinUntil) {
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
        }
        continue;
      }
      seen = g;
      try {
        task.run(worker);
      } catch (Throwable e) {
        recordFailure(e);
      }
      spinUntil = System.nanoTime() + SPIN_NANOS;
      if (pending.decrementAndGet() == 0) {
        LockSupport.unpark(caller);
      }
    }
  }

  private synchronized void recordFailure(Throwable e) {
    if (failure == null) {
      failure = e;
    } else {
      failure.addSuppressed(e);
    }
  }

  /** Stops the threads (idempotent). */
  @Override
  public void close() {
    closed = true;
    for (Thread t : threads) {
      LockSupport.unpark(t);
    }
    for (Thread t : threads) {
      try {
        t.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
