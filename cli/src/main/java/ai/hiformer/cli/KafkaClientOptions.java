package ai.hiformer.cli;

import ai.hiformer.jobs.stream.JobConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Properties;

/**
 * The Kafka client settings of {@code replay} and {@code watch}, as the job takes them: {@code
 * --config FILE} (a job properties file, read as the job reads it: {@code kafka.bootstrap-servers},
 * {@code kafka.property.*} such as SASL/SSL settings, and the topic names), with {@code
 * --bootstrap-servers} and {@code --topic} on the command line winning.
 */
final class KafkaClientOptions {
  private KafkaClientOptions() {}

  /** The job properties file named by {@code --config} (values trimmed), or nothing. */
  static Map<String, String> config(Options o) throws IOException {
    if (!o.has("config")) {
      return Map.of();
    }
    Path path = Paths.get(o.get("config", null));
    if (!Files.isRegularFile(path)) {
      throw new Options.UsageException("--config " + path + " does not exist");
    }
    return JobConfigLoader.read(path, new String[0], 0);
  }

  /** Client properties: bootstrap servers and every {@code kafka.property.*} of the file. */
  static Properties client(Options o, Map<String, String> file) {
    Properties p = new Properties();
    file.forEach(
        (k, v) -> {
          if (k.startsWith("kafka.property.")) {
            p.put(k.substring("kafka.property.".length()), v);
          }
        });
    p.put(
        "bootstrap.servers",
        o.get("bootstrap-servers", file.getOrDefault("kafka.bootstrap-servers", "localhost:9092")));
    return p;
  }

  /** The topic: {@code --topic}, else the file's {@code key}, else {@code fallback}. */
  static String topic(Options o, Map<String, String> file, String key, String fallback) {
    return topic(o, file, key, fallback, "topic");
  }

  /** As above, with the command-line option {@code option} winning over the file. */
  static String topic(
      Options o, Map<String, String> file, String key, String fallback, String option) {
    return o.get(option, file.getOrDefault(key, fallback));
  }
}
