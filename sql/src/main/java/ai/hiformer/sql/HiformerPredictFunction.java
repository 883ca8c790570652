package ai.hiformer.sql;

import ai.hiformer.features.io.Row;
import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ServedModel;
import ai.hiformer.serving.SnapshotReloader;
import ai.hiformer.serving.UpdateFollower;
import ai.hiformer.serving.UpdateTopicReader;
import ai.hiformer.sql.PredictSettings.InputKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;

/**
 * Scores each row of {@code ML_PREDICT} with the newest version of one model id, as {@code hiformer
 * serve} does (the same registry, loader, scorer, reloader and update follower): from the job's
 * snapshots, its update topic, or both. The INPUT columns become a feature row by name, the OUTPUT
 * columns are task probabilities and {@value #VERSION_COLUMN}. Public because the planner's
 * generated code instantiates it.
 */
public final class HiformerPredictFunction extends PredictFunction {
  private static final long serialVersionUID = 1L;

  /** The OUTPUT column that names the model version that scored the row. */
  static final String VERSION_COLUMN = "model_version";

  private final PredictSettings settings;
  private transient ModelRegistry registry;
  private transient SnapshotReloader reloader;
  private transient UpdateTopicReader updates;
  private transient Input input;

  HiformerPredictFunction(PredictSettings settings) {
    this.settings = settings;
  }

  @Override
  public void open(FunctionContext context) throws Exception {
    registry =
        new ModelRegistry(Path.of(settings.snapshots() == null ? "" : settings.snapshots()), 1);
    if (settings.snapshots() != null) {
      registry.refresh();
      reloader = new SnapshotReloader(registry, settings.reloadSeconds());
    }
    if (settings.updatesTopic() != null) {
      UpdateFollower follower = new UpdateFollower(1, (id, version, epoch, sequence) -> {});
      registry.follow(follower);
      Properties client = new Properties();
      client.putAll(settings.kafka());
      updates = new UpdateTopicReader(client, settings.updatesTopic(), follower);
      // The first rows would find no model while the reader reaches the topic's first full
      // update: wait for it here, a bounded time.
      long deadline = System.nanoTime() + settings.waitSeconds() * 1_000_000_000L;
      while (registry.model(settings.modelId()).isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
    }
    input = new Input(settings);
  }

  @Override
  public Collection<RowData> predict(RowData row) {
    ServedModel model =
        registry
            .model(settings.modelId())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no version of model "
                            + settings.modelId()
                            + " yet ("
                            + (settings.snapshots() == null
                                ? ""
                                : "snapshots under " + settings.snapshots() + "; ")
                            + (settings.updatesTopic() == null
                                ? "no update topic"
                                : "update topic " + settings.updatesTopic())
                            + ")"));
    Map<String, Double> scores;
    try {
      scores = model.score(input.of(row));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalArgumentException("row not scored: " + e.getMessage(), e);
    }
    List<String> outputs = settings.outputs();
    GenericRowData out = new GenericRowData(outputs.size());
    for (int i = 0; i < outputs.size(); i++) {
      String name = outputs.get(i);
      out.setField(i, name.equals(VERSION_COLUMN) ? (Object) model.version() : scores.get(name));
    }
    return List.of(out);
  }

  @Override
  public void close() {
    if (reloader != null) {
      reloader.close();
    }
    if (updates != null) {
      updates.close();
    }
  }

  /** The current input row seen as a feature row: a column by its INPUT name. */
  private static final class Input implements Row {
    private final Map<String, Integer> index = new HashMap<>();
    private final InputKind[] kinds;
    private RowData row;

    Input(PredictSettings settings) {
      for (int i = 0; i < settings.inputs().size(); i++) {
        index.put(settings.inputs().get(i), i);
      }
      kinds = settings.inputKinds().toArray(new InputKind[0]);
    }

    Input of(RowData row) {
      this.row = row;
      return this;
    }

    /** The column's position, or -1 when it is absent or null in this row. */
    private int present(String column) {
      Integer i = index.get(column);
      return i == null || row.isNullAt(i) ? -1 : i;
    }

    @Override
    public String text(String column) {
      int i = present(column);
      if (i < 0) {
        return null;
      }
      return switch (kinds[i]) {
        case TEXT -> row.getString(i).toString();
        case INT -> Integer.toString(row.getInt(i));
        case LONG -> Long.toString(row.getLong(i));
        case FLOAT -> Float.toString(row.getFloat(i));
        case DOUBLE -> Double.toString(row.getDouble(i));
        case BOOLEAN -> Boolean.toString(row.getBoolean(i));
        case STRINGS -> null; // read through list()
      };
    }

    @Override
    public boolean hasNumber(String column) {
      int i = present(column);
      return i >= 0 && kinds[i].numeric();
    }

    @Override
    public double number(String column) {
      int i = present(column);
      return switch (kinds[i]) {
        case INT -> row.getInt(i);
        case LONG -> row.getLong(i);
        case FLOAT -> row.getFloat(i);
        default -> row.getDouble(i);
      };
    }

    @Override
    public List<String> list(String column) {
      int i = present(column);
      if (i < 0 || kinds[i] != InputKind.STRINGS) {
        return null;
      }
      ArrayData a = row.getArray(i);
      List<String> values = new ArrayList<>(a.size());
      for (int k = 0; k < a.size(); k++) {
        values.add(a.getString(k).toString());
      }
      return values;
    }

    @Override
    public String origin() {
      return "ML_PREDICT";
    }
  }
}
