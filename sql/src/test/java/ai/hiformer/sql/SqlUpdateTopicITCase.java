package ai.hiformer.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.learner.ModelUpdate;
import ai.hiformer.learner.UpdateChunks;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.serving.ServedModel;
import ai.hiformer.serving.UpdateFollower;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;

/**
 * {@code CREATE MODEL ... WITH ('updates-topic' = ...)}: Flink SQL follows the job's update topic
 * on a real broker, as {@code hiformer serve --updates-topic} does. A bounded query scores as a
 * server that read the same updates, and a running query takes up an update published while it runs
 * (the version in its output grows).
 */
class SqlUpdateTopicITCase {
  private static final String SPEC =
      """
      {"name": "sql", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user_id", "kind": "categorical"}, {"name": "item_id", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ModelRuntime learner =
      new ModelRuntime(
          FeatureSpec.parse(SPEC),
          ModelConfig.builder(ModelKind.HIFORMER).d(8).seed(5).build(),
          OptimizerConfig.defaults(),
          16);
  private int event;

  /** 64 more examples learned, then the update a job would publish (full or the increment). */
  private ModelUpdate learn(boolean full) throws Exception {
    for (int end = event + 64; event < end; event++) {
      learner.learnOnly(
          features(event % 11, event % 5, event % 13),
          Map.of("click", event % 3 == 0 ? 1.0 : 0.0),
          0);
    }
    return learner.updates().capture(full, true);
  }

  private static ai.hiformer.features.io.Row features(int user, int item, double price)
      throws Exception {
    return JsonLinesReader.of(
        JSON.readTree(
            String.format(
                "{\"user_id\": \"u%d\", \"item_id\": \"i%d\", \"price\": %s}", user, item, price)),
        "probe");
  }

  /** Publishes {@code update} as the job does: chunks keyed by the model id. */
  private static void publish(EmbeddedKafka kafka, ModelUpdate update) {
    List<byte[]> values = new ArrayList<>(UpdateChunks.split(update, 4096));
    List<byte[]> keys = new ArrayList<>();
    values.forEach(v -> keys.add("m".getBytes(StandardCharsets.UTF_8)));
    kafka.produce("model-updates", keys, values);
  }

  private static String createModel(EmbeddedKafka kafka) {
    return "CREATE MODEL ctr INPUT (user_id STRING, item_id STRING, price DOUBLE)"
        + " OUTPUT (click DOUBLE, model_version BIGINT) WITH ('provider' = 'hiformer',"
        + " 'updates-topic' = 'model-updates', 'properties.bootstrap.servers' = '"
        + kafka.bootstrapServers()
        + "', 'model-id' = 'm')";
  }

  @Test
  @SuppressWarnings("try") // Flink's CloseableIterator.close() may throw InterruptedException
  void scoresAsAServerOfTheSameUpdatesAndTakesUpANewOneWhileRunning() throws Exception {
    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      kafka.createTopics(1, "model-updates");
      UpdateFollower server = new UpdateFollower(1, (id, version, epoch, sequence) -> {});
      ModelUpdate full = learn(true);
      ModelUpdate increment = learn(false);
      publish(kafka, full);
      publish(kafka, increment);
      server.offer(List.of(Map.entry("m", full.bytes()), Map.entry("m", increment.bytes())));
      ServedModel served = server.model("m").orElseThrow();

      TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
      StringBuilder values = new StringBuilder();
      for (int i = 0; i < 40; i++) {
        values
            .append(i == 0 ? "" : ", ")
            .append(String.format("('u%d', 'i%d', CAST(%d AS DOUBLE))", i % 11, i % 5, i % 13));
      }
      sql.executeSql(
          "CREATE TEMPORARY VIEW impressions (user_id, item_id, price) AS VALUES " + values);
      sql.executeSql(createModel(kafka));
      List<Row> rows = new ArrayList<>();
      try (CloseableIterator<Row> it =
          sql.executeSql(
                  "SELECT user_id, item_id, price, click, model_version FROM ML_PREDICT(TABLE"
                      + " impressions, MODEL ctr, DESCRIPTOR(user_id, item_id, price))")
              .collect()) {
        it.forEachRemaining(rows::add);
      }
      assertThat(rows).hasSize(40);
      for (Row r : rows) {
        var probe =
            JsonLinesReader.of(
                JSON.readTree(
                    String.format(
                        "{\"user_id\": \"%s\", \"item_id\": \"%s\", \"price\": %s}",
                        r.getField("user_id"), r.getField("item_id"), r.getField("price"))),
                "probe");
        assertThat((Double) r.getField("click"))
            .isCloseTo(served.score(probe).get("click"), within(1e-6));
        assertThat((Long) r.getField("model_version")).isEqualTo(served.version());
      }

      // A running query: an update published while it runs is taken up.
      TableEnvironment streaming = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
      streaming.executeSql(
          "CREATE TEMPORARY TABLE impressions (user_id STRING, item_id STRING, price DOUBLE) WITH"
              + " ('connector' = 'datagen', 'rows-per-second' = '50', 'fields.user_id.length' ="
              + " '2', 'fields.item_id.length' = '2', 'fields.price.min' = '0',"
              + " 'fields.price.max' = '12')");
      streaming.executeSql(createModel(kafka));
      long first = served.version();
      long seenFirst = 0;
      long newer = -1;
      ModelUpdate next = learn(false);
      try (CloseableIterator<Row> it =
          streaming
              .executeSql(
                  "SELECT model_version FROM ML_PREDICT(TABLE impressions, MODEL ctr,"
                      + " DESCRIPTOR(user_id, item_id, price))")
              .collect()) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (newer < 0 && System.nanoTime() < deadline && it.hasNext()) {
          long version = (Long) it.next().getField("model_version");
          if (version == first) {
            if (++seenFirst == 20) {
              publish(kafka, next); // the learner moves on while the query runs
            }
          } else {
            newer = version;
          }
        }
      }
      assertThat(seenFirst).isGreaterThanOrEqualTo(20);
      assertThat(newer).as("the version published while the query ran").isEqualTo(next.version());
      assertThat(newer).isGreaterThan(first);
    }
  }

  @Test
  void anUpdateTopicWithoutBrokersOrNoSourceAtAllFailsNamingTheOptions() {
    TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    sql.executeSql(
        "CREATE TEMPORARY VIEW impressions (user_id, item_id, price) AS VALUES ('u1', 'i1', 2.0)");
    sql.executeSql(
        "CREATE MODEL neither INPUT (user_id STRING, item_id STRING, price DOUBLE) OUTPUT (click"
            + " DOUBLE) WITH ('provider' = 'hiformer', 'model-id' = 'm')");
    assertThatThrownBy(
            () ->
                sql.executeSql(
                    "SELECT click FROM ML_PREDICT(TABLE impressions, MODEL neither,"
                        + " DESCRIPTOR(user_id, item_id, price))"))
        .hasStackTraceContaining("'snapshots'")
        .hasStackTraceContaining("'updates-topic'");
    sql.executeSql(
        "CREATE MODEL nobrokers INPUT (user_id STRING, item_id STRING, price DOUBLE) OUTPUT (click"
            + " DOUBLE) WITH ('provider' = 'hiformer', 'model-id' = 'm', 'updates-topic' = 'u')");
    assertThatThrownBy(
            () ->
                sql.executeSql(
                    "SELECT click FROM ML_PREDICT(TABLE impressions, MODEL nobrokers,"
                        + " DESCRIPTOR(user_id, item_id, price))"))
        .hasStackTraceContaining("properties.bootstrap.servers");
  }
}
