package ai.hiformer.sql;

import ai.hiformer.features.io.Row;
import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ServedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.PredictFunction;

/**
 * Scores each row of {@code ML_PREDICT} with the newest snapshot of one model id, as {@code
 * hiformer serve} does (the same loader and scorer): the INPUT columns become a feature row by
 * name, the OUTPUT columns are task probabilities and {@value #VERSION_COLUMN}. A background thread
 * looks for newer versions every {@code reload-seconds}.
 */
public final class HiformerPredictFunction extends PredictFunction {
  private static final long serialVersionUID = 1L;

  /** The OUTPUT column that names the model version that scored the row. */
  static final String VERSION_COLUMN = "model_version";

  private final String snapshots;
  private final String modelId;
  private final int reloadSeconds;
  private final List<String> inputs;
  private final List<String> inputTypes;
  private final List<String> outputs;
  private transient ModelRegistry registry;
  private transient ScheduledExecutorService reloader;

  HiformerPredictFunction(
      String snapshots,
      String modelId,
      int reloadSeconds,
      List<String> inputs,
      List<String> inputTypes,
      List<String> outputs) {
    this.snapshots = snapshots;
    this.modelId = modelId;
    this.reloadSeconds = reloadSeconds;
    this.inputs = new ArrayList<>(inputs);
    this.inputTypes = new ArrayList<>(inputTypes);
    this.outputs = new ArrayList<>(outputs);
  }

  @Override
  public void open(FunctionContext context) throws Exception {
    registry = new ModelRegistry(Path.of(snapshots), 1);
    registry.refresh();
    reloader =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "hiformer-sql-reload");
              t.setDaemon(true);
              return t;
            });
    reloader.scheduleWithFixedDelay(
        registry::refresh, reloadSeconds, reloadSeconds, TimeUnit.SECONDS);
  }

  @Override
  public Collection<RowData> predict(RowData input) {
    ServedModel model =
        registry
            .model(modelId)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no snapshot of model " + modelId + " under " + snapshots + " yet"));
    Map<String, Double> scores;
    try {
      scores = model.score(new Input(input));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalArgumentException("row not scored: " + e.getMessage(), e);
    }
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
      reloader.shutdownNow();
    }
  }

  /** An input row seen as a feature row: a column by its INPUT name. */
  private final class Input implements Row {
    private final RowData row;

    Input(RowData row) {
      this.row = row;
    }

    private int index(String column) {
      return inputs.indexOf(column);
    }

    @Override
    public String text(String column) {
      int i = index(column);
      if (i < 0 || row.isNullAt(i)) {
        return null;
      }
      return switch (inputTypes.get(i)) {
        case "CHAR", "VARCHAR" -> row.getString(i).toString();
        case "INTEGER" -> Integer.toString(row.getInt(i));
        case "BIGINT" -> Long.toString(row.getLong(i));
        case "DOUBLE" -> Double.toString(row.getDouble(i));
        case "FLOAT" -> Float.toString(row.getFloat(i));
        case "BOOLEAN" -> Boolean.toString(row.getBoolean(i));
        default ->
            throw new IllegalArgumentException(
                "INPUT column " + column + " of type " + inputTypes.get(i) + " is not supported");
      };
    }

    @Override
    public boolean hasNumber(String column) {
      int i = index(column);
      return i >= 0
          && !row.isNullAt(i)
          && List.of("INTEGER", "BIGINT", "DOUBLE", "FLOAT").contains(inputTypes.get(i));
    }

    @Override
    public double number(String column) {
      int i = index(column);
      return switch (inputTypes.get(i)) {
        case "INTEGER" -> row.getInt(i);
        case "BIGINT" -> row.getLong(i);
        case "FLOAT" -> row.getFloat(i);
        default -> row.getDouble(i);
      };
    }

    @Override
    public List<String> list(String column) {
      int i = index(column);
      if (i < 0 || row.isNullAt(i) || !inputTypes.get(i).equals("ARRAY")) {
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
