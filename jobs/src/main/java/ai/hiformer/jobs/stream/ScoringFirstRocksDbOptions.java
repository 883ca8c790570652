package ai.hiformer.jobs.stream;

import java.util.Collection;
import org.apache.flink.state.rocksdb.RocksDBOptionsFactory;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Env;
import org.rocksdb.Priority;

/**
 * RocksDB as the job configures it (Flink's options, plus one): RocksDB's compaction threads run at the lowest
 * CPU priority (nice 19). The learner's rows are RocksDB entries updated at random, so compactions rewrite them
 * again and again: at a million ids they took about 40 % of a core, in bursts of seconds after each large
 * flush, and on a small machine a burst starved the scorer (scores seconds late while the compaction ran).
 * Compactions are background work with slack (a burst that takes longer only delays the next file merge); a
 * score is not. Flushes (the high-priority pool, which a checkpoint waits for) keep their priority. Raising a
 * thread's niceness needs no privilege. The pool is RocksDB's process-wide default environment, so this applies
 * to every RocksDB instance in the TaskManager.
 */
public final class ScoringFirstRocksDbOptions implements RocksDBOptionsFactory {
  private static final long serialVersionUID = 1L;

  @Override
  public DBOptions createDBOptions(DBOptions current, Collection<AutoCloseable> handlesToClose) {
    Env env = current.getEnv() != null ? current.getEnv() : Env.getDefault();
    env.lowerThreadPoolCPUPriority(Priority.LOW);
    return current;
  }

  @Override
  public ColumnFamilyOptions createColumnOptions(ColumnFamilyOptions current, Collection<AutoCloseable> handlesToClose) {
    return current;
  }
}
