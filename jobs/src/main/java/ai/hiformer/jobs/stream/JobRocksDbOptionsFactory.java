package ai.hiformer.jobs.stream;

import java.util.Collection;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.state.rocksdb.ConfigurableRocksDBOptionsFactory;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactionOptionsUniversal;
import org.rocksdb.CompactionStyle;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.Env;
import org.rocksdb.Priority;

/**
 * RocksDB as the job configures it (Flink's options, then these, which win): compactions that cost
 * little and yield the CPU to scores.
 *
 * <p>The learner's rows are RocksDB entries written at random keys (at each checkpoint, the rows
 * changed since the previous one) and read back only on a restore. Two consequences:
 *
 * <ul>
 *   <li><b>Universal compaction, merging once 16 sorted runs have piled up.</b> Under RocksDB's
 *       default leveled compaction every four flushes were merged into level 1, which held nearly
 *       the whole table: at a million rows a 114 MB rewrite every four seconds, a quarter of a
 *       core, each rewritten file then uploaded whole by the next incremental checkpoint. Universal
 *       compaction merges runs of similar size and rewrites the whole table only when the newer
 *       runs add up to twice its size (RocksDB's default size amplification, 200 %). With RocksDB's
 *       default of 4 runs, a fresh flush kept being merged into a run of tens of megabytes, once a
 *       second; 16 leaves room for runs to grow by doubling. Reads pay for more runs, and the
 *       learner reads only on a restore. Writes slow down at 24 runs and stop at 36 (RocksDB's 20
 *       would slow them before a merge).
 *   <li><b>A bound on the files' growth, {@code state.rocksdb.max-size-amplification-percent}.</b>
 *       RocksDB's default (200 %) lets the files reach three times the live state before the whole
 *       table is rewritten, so disk and checkpoint size swing by that much; a lower bound keeps
 *       them steady at the price of more frequent full rewrites (each uploaded whole by the next
 *       incremental checkpoint or materialisation).
 *   <li><b>No compression.</b> The rows are float32 values and accumulators, which Snappy did not
 *       shrink (148 bytes an entry compressed, for a 128-byte row and its key), so compressing them
 *       was CPU for nothing.
 * </ul>
 *
 * docs/decisions/002-universal-compaction-for-learner-rows.md has the measurements.
 *
 * <p>RocksDB's compaction threads also run at the lowest CPU priority (nice 19). Compactions are
 * background work with slack (a merge that takes longer only delays the next one); a score is not.
 * Under leveled compaction they took about 40 % of a core at a million ids, in bursts of seconds
 * after each large flush, and on a small machine a burst starved the scorer. Flushes (the
 * high-priority pool, which a checkpoint waits for) keep their priority. Raising a thread's
 * niceness needs no privilege. The pool is RocksDB's process-wide default environment, so this
 * applies to every RocksDB instance in the TaskManager.
 */
public final class JobRocksDbOptionsFactory implements ConfigurableRocksDBOptionsFactory {
  private static final long serialVersionUID = 1L;

  /**
   * Sorted runs that make RocksDB consider a universal compaction: the job's {@code
   * state.rocksdb.compaction-trigger-runs}. RocksDB weighs the size bound only then, so with one
   * flush a minute (changelog checkpoints) 16 runs let the files grow for 16 minutes.
   */
  public static final ConfigOption<Integer> COMPACTION_TRIGGER_RUNS =
      ConfigOptions.key("hiformer.rocksdb.compaction-trigger-runs").intType().defaultValue(16);

  /**
   * How far, in percent of the oldest sorted run, the newer runs may add up before the whole table
   * is merged: the job's {@code state.rocksdb.max-size-amplification-percent}, carried to the
   * TaskManagers in the job's Flink configuration.
   */
  public static final ConfigOption<Integer> MAX_SIZE_AMPLIFICATION_PERCENT =
      ConfigOptions.key("hiformer.rocksdb.max-size-amplification-percent")
          .intType()
          .defaultValue(200);

  private final int maxSizeAmplificationPercent;
  private final int triggerRuns;

  /** The defaults, as Flink instantiates the factory before configuring it. */
  public JobRocksDbOptionsFactory() {
    this(MAX_SIZE_AMPLIFICATION_PERCENT.defaultValue(), COMPACTION_TRIGGER_RUNS.defaultValue());
  }

  private JobRocksDbOptionsFactory(int maxSizeAmplificationPercent, int triggerRuns) {
    this.maxSizeAmplificationPercent = maxSizeAmplificationPercent;
    this.triggerRuns = triggerRuns;
  }

  @Override
  public JobRocksDbOptionsFactory configure(ReadableConfig configuration) {
    return new JobRocksDbOptionsFactory(
        configuration.get(MAX_SIZE_AMPLIFICATION_PERCENT),
        configuration.get(COMPACTION_TRIGGER_RUNS));
  }

  @Override
  public DBOptions createDBOptions(DBOptions current, Collection<AutoCloseable> handlesToClose) {
    Env env = current.getEnv() != null ? current.getEnv() : Env.getDefault();
    env.lowerThreadPoolCPUPriority(Priority.LOW);
    return current;
  }

  @Override
  public ColumnFamilyOptions createColumnOptions(
      ColumnFamilyOptions current, Collection<AutoCloseable> handlesToClose) {
    CompactionOptionsUniversal universal =
        new CompactionOptionsUniversal()
            .setMaxSizeAmplificationPercent(maxSizeAmplificationPercent);
    handlesToClose.add(universal);
    return current
        .setCompactionStyle(CompactionStyle.UNIVERSAL)
        .setCompactionOptionsUniversal(universal)
        .setLevel0FileNumCompactionTrigger(triggerRuns)
        .setLevel0SlowdownWritesTrigger(triggerRuns + 8)
        .setLevel0StopWritesTrigger(triggerRuns + 20)
        .setCompressionType(CompressionType.NO_COMPRESSION)
        .setCompressionPerLevel(List.of(CompressionType.NO_COMPRESSION));
  }
}
