package ai.hiformer.sql;

import java.util.List;
import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;

/** What a {@link HiformerPredictFunction} needs, as plain values the planner can ship. */
final class HiformerPredictRuntimeProvider implements PredictRuntimeProvider {
  private final String snapshots;
  private final String modelId;
  private final int reloadSeconds;
  private final List<String> inputs;
  private final List<String> inputTypes;
  private final List<String> outputs;

  HiformerPredictRuntimeProvider(
      String snapshots,
      String modelId,
      int reloadSeconds,
      List<String> inputs,
      List<String> inputTypes,
      List<String> outputs) {
    this.snapshots = snapshots;
    this.modelId = modelId;
    this.reloadSeconds = reloadSeconds;
    this.inputs = List.copyOf(inputs);
    this.inputTypes = List.copyOf(inputTypes);
    this.outputs = List.copyOf(outputs);
  }

  @Override
  public PredictFunction createPredictFunction(ModelProvider.Context context) {
    return new HiformerPredictFunction(
        snapshots, modelId, reloadSeconds, inputs, inputTypes, outputs);
  }

  @Override
  public ModelProvider copy() {
    return new HiformerPredictRuntimeProvider(
        snapshots, modelId, reloadSeconds, inputs, inputTypes, outputs);
  }
}
