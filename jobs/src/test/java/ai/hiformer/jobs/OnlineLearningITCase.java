package ai.hiformer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.Row;
import ai.hiformer.jobs.api.EventMapping;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The library API as jobs/README.md shows it: a user's own job, on its own POJO event type, adds
 * online learning and scoring with {@link OnlineLearning#scoreAndLearn}. Each market's scores are
 * exactly those of the Flink-free learner fed the same events in the same order, and the markets
 * learn apart.
 */
// javac's try lint: Flink's harnesses and iterators declare close() throws Exception.
@SuppressWarnings("try")
class OnlineLearningITCase {
  @RegisterExtension
  static final MiniClusterExtension FLINK =
      new MiniClusterExtension(
          new MiniClusterResourceConfiguration.Builder()
              .setNumberTaskManagers(1)
              .setNumberSlotsPerTaskManager(2)
              .build());

  /** The user's event type: a Flink POJO. */
  public static class Click {
    public String market;
    public String id;
    public long timeMillis;
    public String user;
    public String item;
    public double price;

    /** Null until the outcome is known. */
    public Boolean clicked;

    public Click() {}

    Click(
        String market,
        String id,
        long timeMillis,
        String user,
        String item,
        double price,
        Boolean clicked) {
      this.market = market;
      this.id = id;
      this.timeMillis = timeMillis;
      this.user = user;
      this.item = item;
      this.price = price;
      this.clicked = clicked;
    }
  }

  /** How the library reads a Click: the spec's columns by name, the label of task "click". */
  static final class ClickMapping implements EventMapping<Click> {
    private static final long serialVersionUID = 1L;

    @Override
    public String modelId(Click c) {
      return c.market;
    }

    @Override
    public String requestId(Click c) {
      return c.id;
    }

    @Override
    public long eventTimeMillis(Click c) {
      return c.timeMillis;
    }

    @Override
    public Row features(Click c) {
      return new Row() {
        @Override
        public String text(String column) {
          return switch (column) {
            case "user" -> c.user;
            case "item" -> c.item;
            case "price" -> Double.toString(c.price);
            default -> null;
          };
        }

        @Override
        public String origin() {
          return c.id;
        }
      };
    }

    @Override
    public Map<String, Double> labels(Click c) {
      return c.clicked == null ? Map.of() : Map.of("click", c.clicked ? 1.0 : 0.0);
    }
  }

  static final String SPEC =
      """
      {"name": "clicks", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"},
                  {"name": "price", "kind": "numeric", "transform": "log1p"}]}""";

  @Test
  void aUsersOwnJobOnItsOwnEventTypeScoresAndLearnsAsTheLearnerDoes() throws Exception {
    List<Click> clicks = new ArrayList<>();
    SplittableRandom rng = new SplittableRandom(4);
    for (int i = 0; i < 1500; i++) {
      int user = rng.nextInt(40);
      int item = rng.nextInt(25);
      Boolean clicked = i % 5 == 4 ? null : (user + 2 * item) % 4 == 0;
      clicks.add(
          new Click(
              i % 3 == 0 ? "de" : "fr",
              "c" + i,
              1_700_000_000_000L + 1000L * i,
              "u" + user,
              "i" + item,
              rng.nextInt(300),
              clicked));
    }
    LearnerOptions options =
        LearnerOptions.builder()
            .spec(SPEC)
            .modelConfig(ModelConfig.builder(ModelKind.HIFORMER).d(8).seed(7).build())
            .set(LearnerOptions.SCORING_PARALLELISM, 0) // the learner scores what it learns from
            .set(LearnerOptions.UPDATES_INTERVAL_MS, 0L)
            .set(LearnerOptions.DELTA_INTERVAL_MS, 0L)
            .set(LearnerOptions.MICRO_BATCH, 64)
            .set(LearnerOptions.FLUSH_IDLE_MS, 600_000L)
            .build();

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(2);
    DataStream<Click> events = env.fromData(clicks).setParallelism(1);
    Map<String, Scored> got = new HashMap<>();
    try (CloseableIterator<Scored> it =
        OnlineLearning.scoreAndLearn(events, new ClickMapping(), options)
            .scores()
            .executeAndCollect("library")) {
      it.forEachRemaining(
          s -> assertThat(got.put(s.requestId, s)).as("scored twice: %s", s.requestId).isNull());
    }
    assertThat(got).hasSize(clicks.size());

    // The same events through the Flink-free learner, one per market, in stream order.
    Map<String, ModelRuntime> learners = new HashMap<>();
    ClickMapping mapping = new ClickMapping();
    for (Click c : clicks) {
      ModelRuntime r =
          learners.computeIfAbsent(
              c.market,
              m ->
                  new ModelRuntime(
                      options.spec(),
                      options.model(),
                      options.optimizer(),
                      options.get(LearnerOptions.MICRO_BATCH)));
      long version = r.version();
      double p = r.scoreAndLearn(mapping.features(c), mapping.labels(c), c.timeMillis)[0];
      Scored s = got.get(c.id);
      assertThat(s.modelId).isEqualTo(c.market);
      assertThat(s.modelVersion).as("version of %s", c.id).isEqualTo(version);
      assertThat(s.scores.get("click")).as("score of %s", c.id).isEqualTo(p);
    }
    assertThat(learners.get("de").version()).isEqualTo(400 / 64);
    assertThat(learners.get("fr").version()).isEqualTo(800 / 64);
  }
}
