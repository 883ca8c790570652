package ai.hiformer.jobs.stream;

import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelConfigKeys;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.ModelProfile;
import ai.hiformer.model.config.Option;
import ai.hiformer.model.config.OptionValues;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Builds a {@link JobConfig} from one properties file plus command-line overrides ({@code
 * --key=value}). Every key is checked: an unknown one fails at start-up, naming it and listing the
 * known keys. Keys under {@code kafka.property.} pass through to the Kafka clients (SASL/SSL
 * settings, timeouts); keys under {@code model.} are the model configuration (ModelConfig's text
 * form). See {@code conf/job.properties} for every key with its default.
 */
public final class JobConfigLoader {
  /** Every key a properties file may set, besides {@code kafka.property.*} and {@code model.*}. */
  public static final List<String> KEYS = OptionValues.keys(JobConfig.ALL);

  private JobConfigLoader() {}

  /**
   * Reads {@code file} (may be null) and applies {@code --key=value} overrides from {@code args}.
   */
  public static Map<String, String> read(Path file, String[] args, int from) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    if (file != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      }
      for (String k : p.stringPropertyNames()) {
        m.put(k, p.getProperty(k).trim());
      }
    }
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException(
            "unexpected argument '" + a + "'; overrides look like --key=value");
      }
      String kv = a.substring(2);
      int eq = kv.indexOf('=');
      if (eq < 0) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option --" + kv + " needs a value");
        }
        m.put(kv, args[++i]);
      } else {
        m.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return m;
  }

  /** Validates every key and builds the configuration. */
  public static JobConfig build(Map<String, String> m) throws IOException {
    JobConfig.Builder b = JobConfig.builder();
    StringBuilder model = new StringBuilder();
    Map<String, Option<?>> options = new LinkedHashMap<>();
    JobConfig.ALL.forEach(o -> options.put(o.key(), o));
    for (Map.Entry<String, String> e : m.entrySet()) {
      String k = e.getKey();
      String v = e.getValue();
      if (k.startsWith("kafka.property.")) {
        b.kafkaProperty(k.substring("kafka.property.".length()), v);
      } else if (k.startsWith("model.")) {
        String mk = k.substring("model.".length());
        if (ModelConfigKeys.key(mk).isEmpty()) {
          throw new IllegalArgumentException(
              "unknown key '"
                  + k
                  + "'; allowed model keys: "
                  + ModelConfigKeys.KEYS.stream().map(x -> "model." + x.name()).toList());
        }
        model.append(mk).append('=').append(v).append('\n');
      } else if (options.containsKey(k)) {
        if (options.get(k).readsFile()) {
          try {
            v = Files.readString(Paths.get(v));
          } catch (IOException ex) {
            throw new IllegalArgumentException(
                "invalid "
                    + k
                    + " = '"
                    + v
                    + "'; allowed: the path of a readable file ("
                    + ex
                    + ")");
          }
        }
        b.setText(k, v);
      } else {
        throw new IllegalArgumentException(
            "unknown key '" + k + "'; allowed: " + KEYS + ", kafka.property.*, model.*");
      }
    }
    if (model.indexOf("kind=") < 0) {
      model.append("kind=").append(ModelKind.HIFORMER.cliName()).append('\n');
    }
    if (!m.containsKey("model.profile")) {
      // The job's models start from the online profile unless the configuration names one.
      model.append("profile=").append(ModelProfile.ONLINE.cliName()).append('\n');
    }
    try {
      b.modelConfig(ModelConfig.fromProperties(model.toString()));
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException("model.*: " + ex.getMessage(), ex);
    }
    return b.build();
  }
}
