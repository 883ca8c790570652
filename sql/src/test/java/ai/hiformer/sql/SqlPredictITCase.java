package ai.hiformer.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.model.Batch;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.Models;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import ai.hiformer.serving.ModelRegistry;
import ai.hiformer.serving.ScoringServer;
import ai.hiformer.serving.ServerOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flink SQL scores a table with the model the online job wrote: {@code CREATE MODEL ... WITH
 * ('provider' = 'hiformer')} and {@code ML_PREDICT}, on a MiniCluster over a user's own JSON topic
 * on a real broker, give the scores {@code hiformer serve}'s HTTP endpoint gives for the same rows,
 * and name the version that scored them.
 */
class SqlPredictITCase {
  private static final String SPEC =
      """
      {"name": "sql", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user_id", "kind": "categorical"}, {"name": "item_id", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path snapshots;

  @Test
  @SuppressWarnings("try") // Flink's CloseableIterator.close() may throw InterruptedException
  void mlPredictOverAUsersJsonTopicScoresAsServeDoesAndNamesTheVersion() throws Exception {
    trainAndSnapshot();
    try (EmbeddedKafka kafka = new EmbeddedKafka();
        ScoringServer serve =
            new ScoringServer(
                new ModelRegistry(snapshots, 1),
                ServerOptions.builder()
                    .set(ServerOptions.PORT, 0)
                    .set(ServerOptions.THREADS, 1)
                    .build(),
                3600)) {
      // The user's own topic of JSON impressions, read by Flink's Kafka connector and JSON format.
      kafka.createTopics(1, "impressions");
      List<byte[]> keys = new ArrayList<>();
      List<byte[]> values = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        keys.add(("r" + i).getBytes(StandardCharsets.UTF_8));
        values.add(
            String.format(
                    "{\"request_id\": \"r%d\", \"user_id\": \"u%d\", \"item_id\": \"i%d\","
                        + " \"price\": %d}",
                    i, i % 11, i % 5, i % 13)
                .getBytes(StandardCharsets.UTF_8));
      }
      kafka.produce("impressions", keys, values);
      TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
      sql.executeSql(
          "CREATE TEMPORARY TABLE impressions (request_id STRING, user_id STRING, item_id STRING,"
              + " price DOUBLE) WITH ('connector' = 'kafka', 'topic' = 'impressions',"
              + " 'properties.bootstrap.servers' = '"
              + kafka.bootstrapServers()
              + "', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' ="
              + " 'latest-offset', 'format' = 'json')");
      sql.executeSql(
          "CREATE MODEL ctr INPUT (user_id STRING, item_id STRING, price DOUBLE)"
              + " OUTPUT (click DOUBLE, model_version BIGINT) WITH ('provider' = 'hiformer',"
              + " 'snapshots' = '"
              + snapshots
              + "', 'model-id' = 'm')");
      List<Row> rows = new ArrayList<>();
      try (CloseableIterator<Row> it =
          sql.executeSql(
                  "SELECT request_id, user_id, item_id, price, click, model_version FROM"
                      + " ML_PREDICT(TABLE impressions, MODEL ctr, DESCRIPTOR(user_id, item_id,"
                      + " price))")
              .collect()) {
        it.forEachRemaining(rows::add);
      }
      assertThat(rows).hasSize(40);
      HttpClient http = HttpClient.newHttpClient();
      for (Row r : rows) {
        // The same impression, asked of `hiformer serve`'s HTTP endpoint.
        String body =
            String.format(
                "{\"modelId\": \"m\", \"requestId\": \"%s\", \"features\": {\"user_id\": \"%s\","
                    + " \"item_id\": \"%s\", \"price\": %s}}",
                r.getField("request_id"),
                r.getField("user_id"),
                r.getField("item_id"),
                r.getField("price"));
        HttpResponse<String> answer =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serve.port() + "/score"))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode served = JSON.readTree(answer.body());
        assertThat((Double) r.getField("click"))
            .as("request %s", r.getField("request_id"))
            .isCloseTo(served.get("scores").get("click").asDouble(), within(1e-6));
        assertThat((Long) r.getField("model_version"))
            .isEqualTo(served.get("modelVersion").asLong())
            .isEqualTo(learner.steps());
      }
    }
  }

  @Test
  @SuppressWarnings("try") // Flink's CloseableIterator.close() may throw InterruptedException
  void aRunningQueryTakesUpANewVersion() throws Exception {
    trainAndSnapshot();
    long first = learner.steps();
    TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    sql.executeSql(
        "CREATE TEMPORARY TABLE impressions (user_id STRING, item_id STRING, price DOUBLE) WITH"
            + " ('connector' = 'datagen', 'rows-per-second' = '50', 'fields.user_id.length' = '2',"
            + " 'fields.item_id.length' = '2', 'fields.price.min' = '0', 'fields.price.max' = '12')");
    sql.executeSql(
        "CREATE MODEL ctr INPUT (user_id STRING, item_id STRING, price DOUBLE)"
            + " OUTPUT (click DOUBLE, model_version BIGINT) WITH ('provider' = 'hiformer',"
            + " 'snapshots' = '"
            + snapshots
            + "', 'model-id' = 'm', 'reload-seconds' = '1')");
    long seenFirst = 0;
    long seenNext = 0;
    try (CloseableIterator<Row> it =
        sql.executeSql(
                "SELECT click, model_version FROM ML_PREDICT(TABLE impressions, MODEL ctr,"
                    + " DESCRIPTOR(user_id, item_id, price))")
            .collect()) {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (seenNext == 0 && System.nanoTime() < deadline && it.hasNext()) {
        long version = (Long) it.next().getField("model_version");
        if (version == first) {
          if (++seenFirst == 20) {
            trainAndSnapshot(); // the learner moves on while the query runs
          }
        } else {
          assertThat(version).as("a newer version").isEqualTo(learner.steps());
          seenNext++;
        }
      }
    }
    assertThat(seenFirst).isGreaterThanOrEqualTo(20);
    assertThat(seenNext).as("rows scored by the version written while the query ran").isOne();
  }

  @Test
  void anOutputColumnOfAnotherTypeFailsNamingIt() throws Exception {
    trainAndSnapshot();
    assertPredictFails("2.0", "DOUBLE", "STRING", "invalid OUTPUT column click VARCHAR");
  }

  @Test
  void anInputColumnOfAnUnreadableTypeFailsNamingIt() throws Exception {
    trainAndSnapshot();
    assertPredictFails("DATE '2026-12-06'", "DATE", "DOUBLE", "invalid INPUT column price DATE");
  }

  /**
   * Asserts that ML_PREDICT over one impression with {@code price} fails with {@code message}, for
   * a model declared with {@code priceType} as its price column and {@code clickType} as its
   * output.
   */
  private void assertPredictFails(
      String price, String priceType, String clickType, String message) {
    TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    sql.executeSql(
        "CREATE TEMPORARY VIEW impressions (user_id, item_id, price) AS VALUES ('u1', 'i1', "
            + price
            + ")");
    sql.executeSql(
        "CREATE MODEL ctr INPUT (user_id STRING, item_id STRING, price "
            + priceType
            + ") OUTPUT (click "
            + clickType
            + ") WITH ('provider' = 'hiformer', 'snapshots' = '"
            + snapshots
            + "', 'model-id' = 'm')");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                sql.executeSql(
                        "SELECT * FROM ML_PREDICT(TABLE impressions, MODEL ctr,"
                            + " DESCRIPTOR(user_id, item_id, price))")
                    .await())
        .hasStackTraceContaining(message);
  }

  private final FeatureSpec spec = FeatureSpec.parse(SPEC);
  private final FeatureEncoder encoder = new FeatureEncoder(spec, null);
  private final Learner learner =
      new Learner(
          Models.create(ModelConfig.builder(ModelKind.HIFORMER).build(), spec.layout()),
          OptimizerConfig.defaults());
  private int event;

  /**
   * Four more micro-batches of a generated stream for the Hiformer, then a snapshot written as the
   * job writes them (its version: the steps so far).
   */
  private Path trainAndSnapshot() throws Exception {
    Batch batch = spec.layout().newBatch(64, 1);
    for (int step = 0; step < 4; step++) {
      for (int b = 0; b < 64; b++, event++) {
        int user = event % 11;
        int item = event % 5;
        String line =
            String.format(
                "{\"user_id\": \"u%d\", \"item_id\": \"i%d\", \"price\": %d, \"click\": %d}",
                user, item, event % 13, (user + item) % 3 == 0 ? 1 : 0);
        encoder.encode(JsonLinesReader.of(JSON.readTree(line), "gen"), batch, b);
      }
      batch.setSize(64);
      learner.predictThenTrain(batch, new double[64]);
    }
    return ModelSnapshot.write(
        snapshots,
        "m",
        learner.steps(),
        SPEC,
        LearnerCodec.encode(learner),
        encoder.stateBytes(),
        learner.model().config().toProperties(),
        new ModelSnapshot.Position(event, event, 1));
  }
}
