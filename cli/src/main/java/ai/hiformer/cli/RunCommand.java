package ai.hiformer.cli;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.stream.JobConfig;
import ai.hiformer.jobs.stream.StreamingJob;
import ai.hiformer.learner.ProgressiveMetrics;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.embedded.Replayer;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelProfile;
import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code hiformer run}: the embedded default. Starts a Kafka broker (KRaft) in this JVM and the job
 * on a Flink MiniCluster, replays a dataset (MovieLens from ../shared/data when present, any
 * dataset through its spec, otherwise a generated stream) into the events topic at a set rate,
 * shows progress, and leaves the model snapshots in a folder it names.
 */
public final class RunCommand extends OptionsCommand {
  static final Set<String> VALUED =
      Set.of(
          "data",
          "spec",
          "rate",
          "events",
          "model",
          "model-id",
          "out",
          "parallelism",
          "checkpoint-ms",
          "snapshot-every");
  public static final String USAGE =
      """
      Usage: hiformer run [options]
        --data PATH        dataset to replay (default ../shared/data/movielens-100k when present,
                           otherwise a generated stream with a known feature interaction)
        --spec SPEC.json   its feature spec (default specs/movielens.json or specs/synthetic.json)
        --rate 2000        events per second into Kafka (0 = as fast as possible)
        --events N         stop after N events (default: the whole dataset; 50000 for the generated stream)
        --model hiformer   network (hiformer|heteroatt|transformer|autoint|dcnv2|lr, or a blend: hiformer+dcnv2+lr)
        --out DIR          where snapshots and checkpoints go (default runs/run-<time>)
        --parallelism 1  --checkpoint-ms 2000  --snapshot-every 1024 (trained examples)
        --two-jobs         learn and score in two Flink jobs (job.role=learn and score), the scoring job's
                           replicas following the learner's update topic (docs/OPERATIONS.md, "Two jobs")
      """;

  RunCommand() {
    super(
        "run",
        "the embedded default: in-process Kafka + Flink MiniCluster, replaying a dataset",
        USAGE,
        VALUED,
        Set.of("two-jobs"));
  }

  /** Starts the job of {@code config} on a MiniCluster of its own. */
  private static JobClient start(JobConfig config, int parallelism, String name) throws Exception {
    StreamExecutionEnvironment env =
        StreamExecutionEnvironment.getExecutionEnvironment(StreamingJob.flinkConfiguration(config));
    env.setParallelism(parallelism);
    StreamingJob.build(env, config);
    JobClient job = env.executeAsync(name);
    System.out.println("Flink job " + name + " (" + job.getJobID() + ") started on a MiniCluster");
    return job;
  }

  @Override
  protected int run(Options o) throws Exception {
    ReplaySource source = ReplaySource.resolve(o.get("data", null), o.get("spec", null));
    boolean synthetic = source.synthetic();
    Path specPath = source.specPath();
    FeatureSpec spec = source.spec();
    long limit = o.has("events") ? o.integer("events", 0, 1) : synthetic ? 50_000 : Long.MAX_VALUE;
    int rate = o.integer("rate", 2000, 0);
    int parallelism = o.integer("parallelism", 1, 1);
    String modelId = o.get("model-id", spec.name());
    Path out =
        Paths.get(
                o.get(
                    "out",
                    "runs/run-"
                        + LocalDateTime.now(java.time.ZoneId.systemDefault())
                            .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))))
            .toAbsolutePath();
    Path snapshots = out.resolve("snapshots");
    Files.createDirectories(snapshots);
    System.out.printf(
        "Replaying %s (spec %s) at %s events/s%n",
        source.describe(), specPath, rate == 0 ? "full speed" : Integer.toString(rate));

    try (EmbeddedKafka kafka = new EmbeddedKafka()) {
      boolean twoJobs = o.has("two-jobs");
      kafka.createTopics(parallelism, "events", "labels", "scores", "dead-letters");
      if (twoJobs) {
        kafka.createTopics(1, "model-updates");
      }
      System.out.println("Kafka (in-process, KRaft) at " + kafka.bootstrapServers());
      JobConfig.Builder configured =
          JobConfig.builder()
              .set(JobConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers())
              .set(JobConfig.MODEL_IDS, Set.of(modelId))
              .set(LearnerOptions.FEATURE_SPEC, Files.readString(specPath))
              .modelConfig(model(o.get("model", "hiformer")))
              .set(JobConfig.PARALLELISM, parallelism)
              .set(JobConfig.CHECKPOINT_INTERVAL_MS, o.integer("checkpoint-ms", 2000, 100))
              .set(LearnerOptions.SNAPSHOT_DIR, snapshots.toString())
              .set(LearnerOptions.SNAPSHOT_EVERY_EXAMPLES, o.integer("snapshot-every", 1024, 1))
              .set(LearnerOptions.DELTA_INTERVAL_MS, 5000L)
              .set(JobConfig.CHECKPOINT_DIR, out.resolve("checkpoints").toUri().toString())
              .set(JobConfig.ROCKSDB_LOCAL_DIR, "/tmp/hiformer-rocksdb");
      JobClient learner = null;
      if (twoJobs) {
        configured
            .set(JobConfig.UPDATES_TOPIC, "model-updates")
            .set(LearnerOptions.SCORING_PARALLELISM, parallelism)
            .set(LearnerOptions.UPDATES_INTERVAL_MS, 1000L);
        learner =
            start(
                configured.set(JobConfig.ROLE, "learn").build(),
                parallelism,
                "hiformer-embedded-learning");
      }
      JobConfig config = configured.set(JobConfig.ROLE, twoJobs ? "score" : "all").build();
      JobClient job =
          start(config, parallelism, twoJobs ? "hiformer-embedded-scoring" : "hiformer-embedded");

      Map<String, Double> labels = new ConcurrentHashMap<>();
      Replayer replayer = new Replayer(source, modelId);
      AtomicBoolean replayDone = new AtomicBoolean();
      Properties producer = new Properties();
      producer.put("bootstrap.servers", kafka.bootstrapServers());
      Thread replay =
          new Thread(
              () -> {
                try {
                  replayer.replay(
                      producer,
                      "events",
                      "r",
                      limit,
                      rate,
                      (id, y) -> {
                        if (y != null) {
                          labels.put(id, y);
                        }
                      });
                } catch (Exception e) {
                  System.err.println("replay failed: " + e);
                } finally {
                  replayDone.set(true);
                }
              },
              "replay");
      replay.setDaemon(true);
      replay.start();

      ProgressiveMetrics metrics = new ProgressiveMetrics();
      long scores = 0;
      long maxVersion = 0;
      WireCodec<Score> codec = WireCodec.scores();
      String task = spec.tasks().get(0).name();
      long start = System.currentTimeMillis();
      long lastPrint = 0;
      long doneAt = 0;
      try (KafkaConsumer<byte[], byte[]> consumer = scoresConsumer(kafka.bootstrapServers())) {
        consumer.subscribe(List.of("scores"));
        while (true) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            Score s = codec.decode(r.value());
            scores++;
            maxVersion = Math.max(maxVersion, s.getModelVersion());
            Double y = labels.get(s.getRequestId());
            Double p = s.getScores().get(task);
            if (y != null && p != null) {
              metrics.add(p, y);
            }
          }
          long now = System.currentTimeMillis();
          if (now - lastPrint >= 2000) {
            lastPrint = now;
            System.out.printf(
                Locale.ROOT,
                "[%5.1fs] events in %,d | scores out %,d | rejected rows %,d | model v%d | "
                    + "progressive AUC at scoring %.4f | log-loss %.4f%n",
                (now - start) / 1000.0,
                replayer.produced(),
                scores,
                replayer.rejected(),
                maxVersion,
                metrics.auc(),
                metrics.logLoss());
          }
          if (replayDone.get() && scores >= replayer.produced()) {
            if (doneAt == 0) {
              doneAt = now;
            } else if (now - doneAt > 2 * config.get(JobConfig.CHECKPOINT_INTERVAL_MS) + 1000) {
              break; // one more checkpoint has committed the last snapshot
            }
          }
        }
      }
      job.cancel().get();
      if (learner != null) {
        learner.cancel().get();
      }
      System.out.printf(
          Locale.ROOT,
          "Done: %,d events scored; progressive AUC at scoring %.4f over %,d labelled events.%n",
          scores,
          metrics.auc(),
          metrics.count());
      System.out.println("Snapshots: " + snapshots);
      boolean none;
      try (var s = Files.list(snapshots)) {
        none = s.findAny().isEmpty();
      }
      if (none) {
        System.out.println(
            "  (none yet: a snapshot is taken every "
                + config.get(LearnerOptions.SNAPSHOT_EVERY_EXAMPLES)
                + " trained examples; replay more events or pass --snapshot-every)");
      }
      try (var s = Files.list(snapshots)) {
        s.forEach(
            m -> {
              try (var v = Files.list(m)) {
                System.out.println(
                    "  "
                        + m.getFileName()
                        + ": "
                        + v.map(x -> x.getFileName().toString()).sorted().toList());
              } catch (java.io.IOException e) {
                System.out.println("  " + m.getFileName());
              }
            });
      }
    }
    return 0;
  }

  private static KafkaConsumer<byte[], byte[]> scoresConsumer(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("group.id", "hiformer-run-progress");
    p.put("auto.offset.reset", "earliest");
    p.put("isolation.level", "read_committed");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The named network at the online profile; a name that is no kind or blend is a usage error. */
  private static ModelConfig model(String name) {
    try {
      return ModelConfig.builder(name).profile(ModelProfile.ONLINE).build();
    } catch (IllegalArgumentException e) {
      throw new Options.UsageException("run: invalid --model: " + e.getMessage());
    }
  }
}
