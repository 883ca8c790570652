package ai.hiformer.local.chaos;

/**
 * One fault a chaos run injected, and when the job had recovered from it. Times are milliseconds of
 * the wall clock (epoch). Written by the run's fault thread, read by its monitor: the fields that
 * change are volatile.
 */
public final class Fault {
  /** What was done to the cluster. */
  public enum Kind {
    /** A TaskManager running the job's tasks, SIGKILLed; restarted after a random downtime. */
    TASKMANAGER_KILL("taskmanager-kill"),
    /** The leading JobManager (of two, with HA), SIGKILLed; restarted after a random downtime. */
    JOBMANAGER_KILL("jobmanager-kill"),
    /**
     * The broker leading a partition of the events or scores topic (of three), SIGKILLed; restarted
     * after a random downtime.
     */
    BROKER_KILL("broker-kill"),
    /** The job stopped with a savepoint, then submitted again from it (a new job id). */
    SAVEPOINT_RESUME("savepoint-resume");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** The kind's name in reports. */
    public String label() {
      return label;
    }
  }

  private final Kind kind;
  private final String target;
  private final long injectedAtMillis;
  private volatile long restartedAtMillis = -1;
  private volatile long recoveredAtMillis = -1;
  private volatile String error;

  /**
   * @param target the process killed ("taskmanager-2", "jobmanager-1", "broker 3") or the job
   */
  Fault(Kind kind, String target, long injectedAtMillis) {
    this.kind = kind;
    this.target = target;
    this.injectedAtMillis = injectedAtMillis;
  }

  public Kind kind() {
    return kind;
  }

  public String target() {
    return target;
  }

  public long injectedAtMillis() {
    return injectedAtMillis;
  }

  /** When the killed process was started again; -1 before (and for a savepoint resume). */
  public long restartedAtMillis() {
    return restartedAtMillis;
  }

  /**
   * When the job first committed after the fault: running, with a checkpoint triggered after the
   * fault completed (a read_committed consumer sees new scores from then on); -1 until then.
   */
  public long recoveredAtMillis() {
    return recoveredAtMillis;
  }

  /** Why the injection or restart failed, or null. */
  public String error() {
    return error;
  }

  /** Seconds from the fault to the job's first commit after it; NaN while not recovered. */
  public double recoverySeconds() {
    return recoveredAtMillis < 0 ? Double.NaN : (recoveredAtMillis - injectedAtMillis) / 1000.0;
  }

  void restarted(long atMillis) {
    restartedAtMillis = atMillis;
  }

  void recovered(long atMillis) {
    if (recoveredAtMillis < 0) {
      recoveredAtMillis = atMillis;
    }
  }

  void failed(String why) {
    error = why;
  }
}
