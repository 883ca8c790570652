package ai.hiformer.sql;

import java.util.List;
import java.util.Set;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;

/**
 * {@code CREATE MODEL ctr INPUT (...) OUTPUT (...) WITH ('provider' = 'hiformer', 'snapshots' =
 * '/path', 'model-id' = 'movielens')}: scores with the newest snapshot the online job wrote for
 * that model id, following new versions as they appear. INPUT names the feature columns as the
 * model's feature spec reads them; OUTPUT names, for each column, a task (its probability, DOUBLE)
 * or {@code model_version} (BIGINT: the version that scored the row).
 */
public final class HiformerModelProviderFactory implements ModelProviderFactory {
  public static final ConfigOption<String> SNAPSHOTS =
      ConfigOptions.key("snapshots")
          .stringType()
          .noDefaultValue()
          .withDescription("the folder the job writes snapshots to (snapshot.dir)");
  public static final ConfigOption<String> MODEL_ID =
      ConfigOptions.key("model-id").stringType().noDefaultValue().withDescription("the model id");
  public static final ConfigOption<Integer> RELOAD_SECONDS =
      ConfigOptions.key("reload-seconds")
          .intType()
          .defaultValue(5)
          .withDescription("how often to look for a newer version");

  @Override
  public String factoryIdentifier() {
    return "hiformer";
  }

  @Override
  public Set<ConfigOption<?>> requiredOptions() {
    return Set.of(SNAPSHOTS, MODEL_ID);
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of(RELOAD_SECONDS);
  }

  @Override
  public ModelProvider createModelProvider(Context context) {
    FactoryUtil.ModelProviderFactoryHelper helper =
        FactoryUtil.createModelProviderFactoryHelper(this, context);
    helper.validate();
    ResolvedCatalogModel model = context.getCatalogModel();
    List<Column> in = model.getResolvedInputSchema().getColumns();
    List<Column> out = model.getResolvedOutputSchema().getColumns();
    for (Column c : out) {
      String type = c.getDataType().getLogicalType().getTypeRoot().name();
      boolean version = c.getName().equals(HiformerPredictFunction.VERSION_COLUMN);
      if (version ? !type.equals("BIGINT") : !type.equals("DOUBLE")) {
        throw new IllegalArgumentException(
            "invalid OUTPUT column "
                + c.getName()
                + " "
                + type
                + "; allowed: a task's name as DOUBLE, or "
                + HiformerPredictFunction.VERSION_COLUMN
                + " BIGINT");
      }
    }
    java.util.List<PredictSettings.InputKind> kinds = new java.util.ArrayList<>();
    for (Column c : in) {
      var type = c.getDataType().getLogicalType();
      kinds.add(
          PredictSettings.InputKind.of(
              c.getName(),
              type.getTypeRoot().name(),
              type.getChildren().isEmpty() ? "" : type.getChildren().get(0).getTypeRoot().name()));
    }
    return new HiformerPredictRuntimeProvider(
        new PredictSettings(
            helper.getOptions().get(SNAPSHOTS),
            helper.getOptions().get(MODEL_ID),
            helper.getOptions().get(RELOAD_SECONDS),
            in.stream().map(Column::getName).toList(),
            kinds,
            out.stream().map(Column::getName).toList()));
  }
}
