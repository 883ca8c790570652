package ai.hiformer.serving;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.TaskSpec;
import ai.hiformer.model.optim.OptimizerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * One loaded, verified snapshot of one model, immutable once built: a pool of scorers (one per
 * concurrent request) over the same weights. A request takes a scorer, scores, and gives it back, so a
 * response always comes from exactly one version.
 */
public final class ServedModel {
  private final String modelId;
  private final long version;
  private final Path directory;
  private final List<String> tasks;
  private final BlockingQueue<Scorer> pool;

  private ServedModel(String modelId, long version, Path directory, List<String> tasks, BlockingQueue<Scorer> pool) {
    this.modelId = modelId;
    this.version = version;
    this.directory = directory;
    this.tasks = tasks;
    this.pool = pool;
  }

  /** Loads and verifies a snapshot directory, building {@code scorers} independent scorers. */
  public static ServedModel load(Path dir, int scorers) throws IOException {
    BlockingQueue<Scorer> pool = new ArrayBlockingQueue<>(scorers);
    ModelSnapshot first = null;
    for (int i = 0; i < scorers; i++) {
      ModelSnapshot s = ModelSnapshot.read(dir, OptimizerConfig.defaults());
      if (first == null) {
        first = s;
      }
      pool.add(new Scorer(s));
    }
    return new ServedModel(first.modelId(), first.modelVersion(), dir,
        first.spec().tasks().stream().map(TaskSpec::name).toList(), pool);
  }

  public String modelId() {
    return modelId;
  }

  public long version() {
    return version;
  }

  public Path directory() {
    return directory;
  }

  /** Probability per task, by task name. */
  public Map<String, Double> score(Row row) throws BadRowException, InterruptedException {
    Scorer s = pool.take();
    try {
      double[] p = s.score(row);
      Map<String, Double> out = new LinkedHashMap<>();
      for (int k = 0; k < tasks.size(); k++) {
        out.put(tasks.get(k), p[k]);
      }
      return out;
    } finally {
      pool.add(s);
    }
  }
}
