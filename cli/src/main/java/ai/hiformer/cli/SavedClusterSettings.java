package ai.hiformer.cli;

import ai.hiformer.local.cluster.ClusterSettings;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A local cluster's settings as {@code hiformer cluster start} chose them, kept in {@code
 * <home>/cluster.properties} so that every later action (status, kill-..., submit, chaos) uses the
 * same ports, brokers and JobManagers.
 */
final class SavedClusterSettings {
  private SavedClusterSettings() {}

  /**
   * The settings of {@code start}'s options, saved in home so that later actions use the same
   * ports.
   */
  static ClusterSettings load(Path root, Path home, Options o, boolean starting)
      throws IOException {
    Path saved = home.resolve("cluster.properties");
    Properties p = new Properties();
    if (Files.exists(saved)) {
      try (Reader r = Files.newBufferedReader(saved)) {
        p.load(r);
      }
    } else if (!starting) {
      throw new Options.UsageException(
          "no cluster in " + home + "; start one with ./hiformer cluster start");
    }
    ClusterSettings d = ClusterSettings.defaults(root, home);
    int kafka =
        o.integer(
            "kafka-port", Integer.parseInt(p.getProperty("kafka-port", "" + d.kafkaPort())), 1);
    int rest =
        o.integer("rest-port", Integer.parseInt(p.getProperty("rest-port", "" + d.restPort())), 1);
    int rpc =
        o.integer(
            "rpc-port", Integer.parseInt(p.getProperty("rpc-port", "" + d.jobManagerRpcPort())), 1);
    int tms =
        o.integer(
            "task-managers",
            Integer.parseInt(p.getProperty("task-managers", "" + d.taskManagers())),
            1);
    int slots =
        o.integer(
            "slots", Integer.parseInt(p.getProperty("slots", "" + d.slotsPerTaskManager())), 1);
    int brokers =
        o.integer("brokers", Integer.parseInt(p.getProperty("brokers", "" + d.brokers())), 1);
    boolean ha = o.has("ha") || Boolean.parseBoolean(p.getProperty("ha", "false"));
    int zooKeeper =
        o.integer("zookeeper-port", Integer.parseInt(p.getProperty("zookeeper-port", "2181")), 1);
    ClusterSettings s =
        new ClusterSettings(
            home,
            d.flinkLib(),
            d.kafkaLib(),
            d.jobJar(),
            kafka,
            rest,
            rpc,
            tms,
            slots,
            brokers,
            ha ? zooKeeper : 0);
    if (starting) {
      Files.createDirectories(home);
      p.setProperty("kafka-port", "" + kafka);
      p.setProperty("rest-port", "" + rest);
      p.setProperty("rpc-port", "" + rpc);
      p.setProperty("task-managers", "" + tms);
      p.setProperty("slots", "" + slots);
      p.setProperty("brokers", "" + brokers);
      p.setProperty("ha", "" + ha);
      p.setProperty("zookeeper-port", "" + zooKeeper);
      try (Writer w = Files.newBufferedWriter(saved)) {
        p.store(w, "hiformer cluster start settings");
      }
    }
    return s;
  }
}
