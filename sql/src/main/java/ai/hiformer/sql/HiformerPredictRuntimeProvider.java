package ai.hiformer.sql;

import org.apache.flink.table.functions.PredictFunction;
import org.apache.flink.table.ml.ModelProvider;
import org.apache.flink.table.ml.PredictRuntimeProvider;

/** Makes the {@link HiformerPredictFunction} of one {@code CREATE MODEL}. */
final class HiformerPredictRuntimeProvider implements PredictRuntimeProvider {
  private final PredictSettings settings;

  HiformerPredictRuntimeProvider(PredictSettings settings) {
    this.settings = settings;
  }

  @Override
  public PredictFunction createPredictFunction(ModelProvider.Context context) {
    return new HiformerPredictFunction(settings);
  }

  @Override
  public ModelProvider copy() {
    return new HiformerPredictRuntimeProvider(settings);
  }
}
