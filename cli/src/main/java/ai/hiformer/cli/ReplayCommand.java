package ai.hiformer.cli;

import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.embedded.Replayer;
import ai.hiformer.local.traffic.DelayedLabels;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code hiformer replay}: replays a dataset (or the generated stream) into the events topic of any
 * Kafka cluster, e.g. the one {@code hiformer cluster start} runs or a docker-compose one.
 */
public final class ReplayCommand extends OptionsCommand {
  static final Set<String> VALUED =
      Set.of(
          "config",
          "bootstrap-servers",
          "topic",
          "data",
          "spec",
          "rate",
          "events",
          "model-id",
          "request-prefix",
          "labels",
          "labels-topic",
          "label-delay-ms",
          "seed");
  static final String USAGE =
      """
      Usage: hiformer replay [options]
        --config FILE      a job properties file: kafka.bootstrap-servers, kafka.property.* (SASL/SSL, ...),
                           topics.events (as the job reads them); the options below win over it
        --bootstrap-servers localhost:9092   the Kafka cluster
        --topic events     the job's events topic
        --data PATH        dataset (default ../shared/data/movielens-100k when present, else a generated stream)
        --spec SPEC.json   its feature spec (default specs/movielens.json or specs/synthetic.json)
        --model-id ID      model id of the events (default: the spec's name, as `hiformer cluster submit` expects)
        --rate 1000        events per second (0 = as fast as possible)
        --events N         stop after N events (default: the whole dataset; 50000 for the generated stream)
        --request-prefix P request ids are P0, P1, ... (default r<start time in ms>-, unique per replay)
        --labels inline    inline: each event carries its labels (a replayed log); topic: events go without
                           labels and each positive label follows on the labels topic after a delay (as
                           clicks arrive in production), in event-time order whatever the rate
        --labels-topic labels           where labels go (default: topics.labels of --config, else labels)
        --label-delay-ms 1000           mean of the exponential delay of a label, in event time
        --seed 0                        seeds the delays
      """;

  ReplayCommand() {
    super(
        "replay",
        "replay a dataset (or a generated stream) into any Kafka cluster's events topic",
        USAGE,
        VALUED,
        Set.of());
  }

  @Override
  protected int run(Options o) throws Exception {
    ReplaySource source = ReplaySource.resolve(o.get("data", null), o.get("spec", null));
    long limit =
        o.has("events") ? o.integer("events", 0, 1) : source.synthetic() ? 50_000 : Long.MAX_VALUE;
    String modelId = o.get("model-id", source.spec().name());
    Map<String, String> file = KafkaClientOptions.config(o);
    String topic = KafkaClientOptions.topic(o, file, "topics.events", "events");
    Properties producer = KafkaClientOptions.client(o, file);
    producer.put("max.block.ms", "30000");
    Replayer replayer = new Replayer(source, modelId);
    AtomicBoolean done = new AtomicBoolean();
    Thread progress =
        new Thread(
            () -> {
              long start = System.currentTimeMillis();
              while (!done.get()) {
                try {
                  Thread.sleep(2000);
                } catch (InterruptedException e) {
                  return;
                }
                System.out.printf(
                    Locale.ROOT,
                    "[%5.1fs] %,d events sent to %s (model id %s), %,d rows rejected%n",
                    (System.currentTimeMillis() - start) / 1000.0,
                    replayer.produced(),
                    topic,
                    modelId,
                    replayer.rejected());
              }
            },
            "replay-progress");
    progress.setDaemon(true);
    progress.start();
    System.out.printf(
        "Replaying %s into %s at %s%n",
        source.describe(),
        producer.get("bootstrap.servers"),
        o.integer("rate", 1000, 0) == 0 ? "full speed" : o.integer("rate", 1000, 0) + " events/s");
    String labels = o.get("labels", "inline");
    if (!labels.equals("inline") && !labels.equals("topic")) {
      throw new Options.UsageException(
          "replay: invalid --labels '" + labels + "'; allowed: inline, topic");
    }
    DelayedLabels delayed =
        labels.equals("topic")
            ? new DelayedLabels(o.number("label-delay-ms", 1000), o.integer("seed", 0, 0))
            : null;
    String labelsTopic =
        KafkaClientOptions.topic(o, file, "topics.labels", "labels", "labels-topic");
    try {
      replayer.replay(
          producer,
          topic,
          labelsTopic,
          delayed,
          o.get("request-prefix", "r" + System.currentTimeMillis() + "-"),
          limit,
          o.integer("rate", 1000, 0),
          (id, y) -> {});
    } finally {
      done.set(true);
    }
    System.out.printf(
        Locale.ROOT,
        "Done: %,d events sent, %,d rows rejected%s.%n",
        replayer.produced(),
        replayer.rejected(),
        delayed == null
            ? ""
            : String.format(
                Locale.ROOT, ", %,d labels sent to %s", delayed.labelsSent(), labelsTopic));
    return 0;
  }
}
