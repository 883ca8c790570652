package ai.hiformer.local.soak;

import java.util.List;

/**
 * One minute's sample of a soak: the cluster's Flink processes (JobManager and TaskManagers) and
 * its files.
 *
 * @param minute minutes since the traffic began
 * @param eventsSent events sent so far
 * @param heapAfterGcMb TaskManagers' heap used after a full collection, summed, MB
 * @param jobManagerHeapAfterGcMb the JobManager's heap used after a full collection, MB
 * @param threads live threads of the JobManager and TaskManagers, summed
 * @param fileDescriptors open file descriptors of the JobManager and TaskManagers, summed
 * @param rocksDbMb the TaskManagers' local state (RocksDB's files under the cluster's tmp), MB
 * @param checkpointMb the newest completed checkpoint's full state size (Flink's {@code
 *     state_size}), MB
 * @param checkpointDirMb the checkpoint folder on disk (retained checkpoints and the changelog), MB
 * @param checkpointMs the newest completed checkpoint's end-to-end duration, ms
 */
public record SoakSample(
    int minute,
    long eventsSent,
    double heapAfterGcMb,
    double jobManagerHeapAfterGcMb,
    long threads,
    long fileDescriptors,
    double rocksDbMb,
    double checkpointMb,
    double checkpointDirMb,
    long checkpointMs) {

  /** The CSV header, in {@link #csv()}'s order. */
  public static final String CSV_HEADER =
      "minute,events_sent,heap_after_gc_mb,jobmanager_heap_after_gc_mb,threads,file_descriptors,"
          + "rocksdb_mb,checkpoint_mb,checkpoint_dir_mb,checkpoint_ms";

  public String csv() {
    return String.format(
        java.util.Locale.ROOT,
        "%d,%d,%.1f,%.1f,%d,%d,%.1f,%.2f,%.1f,%d",
        minute,
        eventsSent,
        heapAfterGcMb,
        jobManagerHeapAfterGcMb,
        threads,
        fileDescriptors,
        rocksDbMb,
        checkpointMb,
        checkpointDirMb,
        checkpointMs);
  }

  /** The figures a soak bounds: each must stay within the bound of its level at minute 10. */
  public enum Bounded {
    HEAP_AFTER_GC("heap after GC (TaskManagers)"),
    ROCKSDB_DISK("RocksDB disk"),
    CHECKPOINT_SIZE("checkpoint size"),
    THREADS("threads"),
    FILE_DESCRIPTORS("file descriptors");

    private final String label;

    Bounded(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }

    public double of(SoakSample s) {
      return switch (this) {
        case HEAP_AFTER_GC -> s.heapAfterGcMb();
        case ROCKSDB_DISK -> s.rocksDbMb();
        case CHECKPOINT_SIZE -> s.checkpointMb();
        case THREADS -> s.threads();
        case FILE_DESCRIPTORS -> s.fileDescriptors();
      };
    }

    public static List<Bounded> all() {
      return List.of(values());
    }
  }
}
