package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.SharedData;
import ai.hiformer.features.io.Folders;
import ai.hiformer.jobs.operators.ModelFunction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.StateBackendLoader;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

/**
 * The RocksDB settings of {@link StreamingJob#flinkConfiguration} ({@link
 * JobRocksDbOptionsFactory}) reach the RocksDB instance that holds keyed state: read back from the
 * OPTIONS file RocksDB writes for a map state like the learner's rows. (A factory Flink did not
 * load, or Flink's options applied over it, would go unnoticed otherwise, and the learner would
 * compact its rows the expensive way.)
 */
// javac's try lint: Flink's harnesses and iterators declare close() throws Exception.
@SuppressWarnings("try")
class RocksDbSettingsTest {

  /** Puts one row into a map state, as the learner writes its rows at a checkpoint. */
  private static final class WritesARow extends KeyedProcessFunction<String, Long, Long> {
    private static final long serialVersionUID = 1L;

    private transient MapState<Long, byte[]> rows;

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext context) {
      rows = getRuntimeContext().getMapState(ModelFunction.ROWS);
    }

    @Override
    public void processElement(Long id, Context ctx, Collector<Long> out) throws Exception {
      rows.put(id, new byte[64]);
      out.collect(id);
    }
  }

  @Test
  void theRowsColumnFamilyIsCompactedUniversallyUncompressedAndWithTheJobsSizeBound()
      throws Exception {
    JobConfig job =
        JobConfigLoader.build(
            Map.of(
                "job.feature-spec",
                SharedData.repoFile("specs/movielens.json").toString(),
                "kafka.bootstrap-servers",
                "h:1",
                "job.model-ids",
                "a",
                "state.rocksdb.max-size-amplification-percent",
                "15",
                "state.rocksdb.compaction-trigger-runs",
                "5"));
    // A short path of its own: JUnit's temporary paths trip RocksDB's path-length limit
    // (docs/STACK.md).
    Path localDir = Files.createTempDirectory(Path.of("/tmp"), "hfr");
    Configuration conf = StreamingJob.flinkConfiguration(job);
    conf.setString("state.backend.rocksdb.localdir", localDir.toString());
    StateBackend backend =
        StateBackendLoader.loadStateBackendFromConfig(conf, getClass().getClassLoader(), null);
    var harness =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(new WritesARow()), (Long id) -> "model", Types.STRING);
    try {
      harness.setStateBackend(backend);
      harness.open();
      harness.processElement(new StreamRecord<>(7L));
      assertThat(harness.extractOutputValues()).containsExactly(7L);

      String rowsOptions =
          columnFamilyOptions(newestOptionsFile(localDir), ModelFunction.ROWS.getName());
      assertThat(rowsOptions).contains("\n  compaction_style=kCompactionStyleUniversal\n");
      assertThat(rowsOptions).contains("\n  level0_file_num_compaction_trigger=5\n");
      assertThat(rowsOptions).contains("\n  compression=kNoCompression\n");
      assertThat(dbOptions(newestOptionsFile(localDir)))
          .as("RocksDB's info log: warnings only")
          .contains("\n  info_log_level=WARN_LEVEL\n");
      assertThat(rowsOptions)
          .contains("\n  compaction_options_universal={")
          .contains("max_size_amplification_percent=15;");
      assertThat(rowsOptions).contains("\n  compression_per_level=kNoCompression\n");
    } finally {
      harness.close();
      Folders.deleteTreeQuietly(localDir, "RocksDbSettingsTest");
    }
  }

  /** The OPTIONS file RocksDB wrote last (it writes a new one as column families are added). */
  private static Path newestOptionsFile(Path localDir) throws Exception {
    try (Stream<Path> files = Files.walk(localDir)) {
      List<Path> options =
          files.filter(p -> p.getFileName().toString().startsWith("OPTIONS-")).sorted().toList();
      assertThat(options).as("RocksDB's OPTIONS files under %s", localDir).isNotEmpty();
      return options.get(options.size() - 1);
    }
  }

  /** The [DBOptions] section of a RocksDB OPTIONS file. */
  private static String dbOptions(Path optionsFile) throws Exception {
    String text = Files.readString(optionsFile);
    int start = text.indexOf("[DBOptions]");
    assertThat(start).as("DBOptions in %s", optionsFile).isNotNegative();
    return text.substring(start, text.indexOf("\n[", start + 1));
  }

  /** The [CFOptions "name"] section of a RocksDB OPTIONS file. */
  private static String columnFamilyOptions(Path optionsFile, String name) throws Exception {
    String text = Files.readString(optionsFile);
    int start = text.indexOf("[CFOptions \"" + name + "\"]");
    assertThat(start).as("column family %s in %s", name, optionsFile).isNotNegative();
    int end = text.indexOf("\n[", start + 1);
    return end < 0 ? text.substring(start) : text.substring(start, end);
  }
}
