package ai.hiformer.learner;

/**
 * Where a replica of one model stands in its update stream, and so which {@link ModelUpdate} it
 * takes next: an update that continues it (same epoch, the next sequence), a full update newer than
 * it, or a base slice, the first of which starts an empty replica's assembly and each next one
 * (same epoch, the sequence reached, the index expected) continues it. A replica that has its whole
 * model skips slices. {@link ScoringReplica} follows this rule; so does a reader that passes on to
 * replicas only the updates they will take (the scoring job's), which therefore agrees with them by
 * construction.
 */
public final class ReplicaPosition {
  private long epoch = Long.MIN_VALUE;
  private long sequence;
  private long version = -1;
  private int nextSlice; // while assembling from base slices: the slice expected next
  private int sliceCount; // 0: not assembling

  /** Whether a replica at this position takes {@code update} (nothing changes). */
  public boolean takes(ModelUpdate update) {
    if (update.slice()) {
      boolean starts = version < 0 && sliceCount == 0 && update.sliceIndex() == 0;
      boolean continues =
          sliceCount > 0
              && update.epoch() == epoch
              && update.sequence() == sequence
              && update.sliceCount() == sliceCount
              && update.sliceIndex() == nextSlice;
      return starts || continues;
    }
    boolean next = update.epoch() == epoch && update.sequence() == sequence + 1;
    boolean newerBase =
        update.full()
            && (update.epoch() > epoch
                || (update.epoch() == epoch && update.sequence() > sequence));
    return next || newerBase;
  }

  /** Moves to {@code update}'s position, once it is applied (only after {@link #takes} said so). */
  public void moveTo(ModelUpdate update) {
    epoch = update.epoch();
    sequence = update.sequence();
    version = update.version();
    if (update.slice()) {
      sliceCount = update.sliceIndex() + 1 == update.sliceCount() ? 0 : update.sliceCount();
      nextSlice = update.sliceIndex() + 1;
    } else if (update.full()) {
      sliceCount = 0; // whatever was being assembled, the full update has it all
    }
  }

  /**
   * Whether the replica has a whole model: a full update, or every slice of a base, has been
   * applied.
   */
  public boolean whole() {
    return version >= 0 && sliceCount == 0;
  }

  public long epoch() {
    return epoch;
  }

  public long sequence() {
    return sequence;
  }

  /** The model version reached (-1 before the first full update or slice). */
  public long version() {
    return version;
  }
}
