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
 * that model id, following new versions as they appear. With {@code 'updates-topic' =
 * 'model-updates', 'properties.bootstrap.servers' = '...'} (any {@code properties.*} goes to the
 * Kafka consumer) it follows the job's update topic instead, or as well: the newer version wins, as
 * in {@code hiformer serve}. INPUT names the feature columns as the model's feature spec reads
 * them; OUTPUT names, for each column, a task (its probability, DOUBLE) or {@code model_version}
 * (BIGINT: the version that scored the row).
 */
public final class HiformerModelProviderFactory implements ModelProviderFactory {
  public static final ConfigOption<String> SNAPSHOTS =
      ConfigOptions.key("snapshots")
          .stringType()
          .noDefaultValue()
          .withDescription("the folder the job writes snapshots to (snapshot.dir)");
  public static final ConfigOption<String> UPDATES_TOPIC =
      ConfigOptions.key("updates-topic")
          .stringType()
          .noDefaultValue()
          .withDescription("the job's update topic (topics.model-updates), read from its start");
  public static final ConfigOption<Integer> WAIT_SECONDS =
      ConfigOptions.key("wait-seconds")
          .intType()
          .defaultValue(60)
          .withDescription("how long to wait at start-up for the model's first update");

  /** Options with this prefix go to the Kafka consumer of the update topic, without it. */
  static final String KAFKA_PREFIX = "properties.";

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
    return Set.of(MODEL_ID);
  }

  @Override
  public Set<ConfigOption<?>> optionalOptions() {
    return Set.of(SNAPSHOTS, UPDATES_TOPIC, WAIT_SECONDS, RELOAD_SECONDS);
  }

  @Override
  public ModelProvider createModelProvider(Context context) {
    FactoryUtil.ModelProviderFactoryHelper helper =
        FactoryUtil.createModelProviderFactoryHelper(this, context);
    helper.validateExcept(KAFKA_PREFIX);
    ResolvedCatalogModel model = context.getCatalogModel();
    java.util.Map<String, String> kafka = new java.util.HashMap<>();
    model
        .getOptions()
        .forEach(
            (k, v) -> {
              if (k.startsWith(KAFKA_PREFIX)) {
                kafka.put(k.substring(KAFKA_PREFIX.length()), v);
              }
            });
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
            helper.getOptions().getOptional(SNAPSHOTS).orElse(null),
            helper.getOptions().getOptional(UPDATES_TOPIC).orElse(null),
            kafka,
            helper.getOptions().get(WAIT_SECONDS),
            helper.getOptions().get(MODEL_ID),
            helper.getOptions().get(RELOAD_SECONDS),
            in.stream().map(Column::getName).toList(),
            kinds,
            out.stream().map(Column::getName).toList()));
  }
}
