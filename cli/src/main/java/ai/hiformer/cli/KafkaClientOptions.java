package ai.hiformer.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;

/**
 * The Kafka client settings of {@code replay} and {@code watch}, as the job takes them: {@code --config FILE}
 * (a job properties file: {@code kafka.bootstrap-servers}, {@code kafka.property.*} such as SASL/SSL settings,
 * and the topic names), with {@code --bootstrap-servers} and {@code --topic} on the command line winning.
 */
final class KafkaClientOptions {
  private KafkaClientOptions() {}

  /** The job properties file named by {@code --config}, or empty properties. */
  static Properties config(Options o) throws IOException {
    Properties file = new Properties();
    if (o.has("config")) {
      Path path = Paths.get(o.get("config", null));
      if (!Files.isRegularFile(path)) {
        throw new Options.UsageException("--config " + path + " does not exist");
      }
      try (Reader r = Files.newBufferedReader(path)) {
        file.load(r);
      }
    }
    return file;
  }

  /** Client properties: bootstrap servers and every {@code kafka.property.*} of the file. */
  static Properties client(Options o, Properties file) {
    Properties p = new Properties();
    for (String k : file.stringPropertyNames()) {
      if (k.startsWith("kafka.property.")) {
        p.put(k.substring("kafka.property.".length()), file.getProperty(k).trim());
      }
    }
    p.put("bootstrap.servers", o.get("bootstrap-servers",
        file.getProperty("kafka.bootstrap-servers", "localhost:9092").trim()));
    return p;
  }

  /** The topic: {@code --topic}, else the file's {@code key}, else {@code fallback}. */
  static String topic(Options o, Properties file, String key, String fallback) {
    return o.get("topic", file.getProperty(key, fallback).trim());
  }
}
