package ai.hiformer.cli;

import ai.hiformer.schemas.Score;
import ai.hiformer.schemas.WireCodec;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * {@code hiformer watch}: follows the scores topic (read_committed, from the start) and prints,
 * every two seconds, how many scores arrived, how many request ids were scored more than once
 * (exactly-once: 0), and each model's newest version.
 */
public final class WatchCommand extends OptionsCommand {
  static final Set<String> VALUED = Set.of("config", "bootstrap-servers", "topic", "seconds");
  static final String USAGE =
      """
      Usage: hiformer watch [--config FILE] [--bootstrap-servers localhost:9092] [--topic scores] [--seconds 0]
        --config: a job properties file (kafka.bootstrap-servers, kafka.property.* such as SASL/SSL, topics.scores).
        Prints scores arriving (read_committed), duplicates and model versions; --seconds 0 = until Ctrl-C.
      """;

  WatchCommand() {
    super(
        "watch",
        "follow the scores topic: counts, duplicates, model versions",
        USAGE,
        VALUED,
        Set.of());
  }

  @Override
  protected int run(Options o) throws Exception {
    int seconds = o.integer("seconds", 0, 0);
    Map<String, String> file = KafkaClientOptions.config(o);
    Properties p = KafkaClientOptions.client(o, file);
    p.put("group.id", "hiformer-watch-" + System.nanoTime());
    p.put("auto.offset.reset", "earliest");
    p.put("isolation.level", "read_committed");
    p.put("enable.auto.commit", "false");
    WireCodec<Score> codec = WireCodec.scores();
    Set<String> seen = new HashSet<>();
    Map<String, Long> versions = new TreeMap<>();
    long total = 0;
    long duplicates = 0;
    long lastTotal = 0;
    long start = System.currentTimeMillis();
    long lastPrint = start;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(KafkaClientOptions.topic(o, file, "topics.scores", "scores")));
      while (seconds == 0 || System.currentTimeMillis() - start < seconds * 1000L) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          Score s = codec.decode(r.value());
          total++;
          if (!seen.add(s.getModelId() + "/" + s.getRequestId())) {
            duplicates++;
          }
          versions.merge(s.getModelId(), s.getModelVersion(), Math::max);
        }
        long now = System.currentTimeMillis();
        if (now - lastPrint >= 2000) {
          System.out.printf(
              Locale.ROOT,
              "[%5.1fs] %,d scores (%,.0f/s) | %,d request ids scored twice | model versions %s%n",
              (now - start) / 1000.0,
              total,
              (total - lastTotal) * 1000.0 / (now - lastPrint),
              duplicates,
              versions);
          lastTotal = total;
          lastPrint = now;
        }
      }
    }
    return 0;
  }
}
