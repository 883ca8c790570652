package ai.hiformer.jobs.stream;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.DatasetReader;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.io.RowSink;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.Metrics;
import ai.hiformer.local.embedded.EmbeddedKafka;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.embedded.RowToEvent;
import ai.hiformer.local.traffic.DelayedLabels;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A dataset's first events as production traffic for the tests of the label join: impressions, and
 * their positive labels after exponential delays in event time ({@link DelayedLabels}).
 */
final class DelayedTraffic {
  private DelayedTraffic() {}

  /**
   * The first {@code events} rows of {@code data} as model {@code modelId}'s impressions and
   * delayed positive labels, in event-time order; {@code truth}, if not null, gets each request
   * id's true label of {@code task}.
   */
  static List<DelayedLabels.Out> of(
      FeatureSpec spec,
      Path data,
      String modelId,
      int events,
      DelayedLabels delayed,
      String task,
      Map<String, Double> truth)
      throws Exception {
    RowToEvent convert = new RowToEvent(spec, modelId);
    List<DelayedLabels.Out> out = new ArrayList<>();
    readRows(
        spec,
        data,
        0,
        events,
        (row, i) -> {
          Event e = convert.convert(row, i);
          if (truth != null) {
            truth.put(e.getRequestId(), e.getLabels().getOrDefault(task, 0.0));
          }
          delayed.offer(e, out::add);
        });
    delayed.finish(out::add);
    return out;
  }

  /**
   * Sends the traffic in order, {@code rate} impressions per second (0: at once), keyed by {@code
   * key}.
   */
  static void send(
      EmbeddedKafka kafka,
      List<DelayedLabels.Out> traffic,
      String key,
      String eventsTopic,
      String labelsTopic,
      int rate)
      throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    WireCodec<Event> eventCodec = WireCodec.events();
    var labelCodec = WireCodec.labels();
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    long start = System.nanoTime();
    int sent = 0;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (DelayedLabels.Out o : traffic) {
        if (o instanceof DelayedLabels.Impression i) {
          if (rate > 0) {
            long wait = start + (long) (sent * 1e9 / rate) - System.nanoTime();
            if (wait > 0) {
              Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
          }
          producer.send(new ProducerRecord<>(eventsTopic, k, eventCodec.encode(i.event())));
          sent++;
        } else {
          producer.send(
              new ProducerRecord<>(
                  labelsTopic, k, labelCodec.encode(((DelayedLabels.DelayedLabel) o).label())));
        }
      }
      producer.flush();
    }
  }

  /**
   * The first score of task {@code task} for each request id on {@code topic} (read_committed),
   * once {@code events} request ids have one (up to 2 minutes).
   */
  static Map<String, Double> awaitScores(EmbeddedKafka kafka, String topic, String task, int events)
      throws Exception {
    WireCodec<ai.hiformer.schemas.Score> codec = WireCodec.scores();
    long deadline = System.currentTimeMillis() + 120_000;
    Map<String, Double> scores = new java.util.HashMap<>();
    while (System.currentTimeMillis() < deadline) {
      scores.clear();
      for (org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> r :
          EmbeddedKafka.readCommittedRecords(
              kafka.bootstrapServers(), topic, java.time.Duration.ofMillis(1000))) {
        ai.hiformer.schemas.Score s = codec.decode(r.value());
        scores.putIfAbsent(s.getRequestId(), s.getScores().get(task));
      }
      if (scores.size() >= events) {
        return scores;
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("only " + scores.size() + " of " + events + " events were scored");
  }

  /** Each request id's score beside its true label, in the truth's order. */
  record Judged(double[] scores, double[] labels) {
    double auc() {
      return Metrics.auc(scores, labels, 0, scores.length);
    }

    double logLoss() {
      return Metrics.logLoss(scores, labels, 0, scores.length);
    }

    double calibration() {
      return Metrics.calibration(scores, labels, 0, scores.length);
    }
  }

  /**
   * Sends {@code traffic} of model movielens to {@code prefix}events and {@code prefix}labels,
   * 1,000 impressions a second, and judges the scores of its {@code events} impressions, read from
   * {@code prefix}scores, against {@code truth} (task like).
   */
  static Judged replayAndJudge(
      EmbeddedKafka kafka,
      List<DelayedLabels.Out> traffic,
      String prefix,
      int events,
      Map<String, Double> truth)
      throws Exception {
    send(kafka, traffic, "movielens", prefix + "events", prefix + "labels", 1000);
    return judge(awaitScores(kafka, prefix + "scores", "like", events), truth);
  }

  /** The scores of the request ids in {@code truth}, each beside its true label. */
  static Judged judge(Map<String, Double> scores, Map<String, Double> truth) {
    double[] p = new double[truth.size()];
    double[] y = new double[truth.size()];
    int n = 0;
    for (Map.Entry<String, Double> e : truth.entrySet()) {
      p[n] = scores.get(e.getKey());
      y[n] = e.getValue();
      n++;
    }
    return new Judged(p, y);
  }

  /**
   * The AUC for {@code task} of the model in {@code snapshotDir} on rows {@code skip} .. {@code
   * skip + n − 1} of {@code data}, scored read-only as {@code serve} scores them: a model judged on
   * events it never learnt from.
   */
  static double heldOutAuc(
      FeatureSpec spec, Path data, int skip, int n, String task, Path snapshotDir)
      throws Exception {
    ai.hiformer.serving.ServedModel model = ai.hiformer.serving.ServedModel.load(snapshotDir, 1);
    RowToEvent convert = new RowToEvent(spec, "held-out");
    double[] p = new double[n];
    double[] y = new double[n];
    int[] scored = {0};
    readRows(
        spec,
        data,
        skip,
        skip + n,
        (row, i) -> {
          try {
            p[scored[0]] = model.score(row).get(task);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
          y[scored[0]++] = convert.convert(row, i).getLabels().getOrDefault(task, 0.0);
        });
    return Metrics.auc(p, y, 0, scored[0]);
  }

  /** What is done with row i of a dataset. */
  private interface RowAt {
    void accept(Row row, int i) throws BadRowException;
  }

  /** Hands rows {@code from} .. {@code to − 1} of {@code data} to {@code rows}, in order. */
  private static void readRows(FeatureSpec spec, Path data, int from, int to, RowAt rows)
      throws Exception {
    int[] next = {0};
    try {
      DatasetReader.forSpec(spec, data)
          .read(
              new RowSink() {
                @Override
                public void accept(Row row) throws BadRowException {
                  int i = next[0]++;
                  if (i >= to) {
                    throw new ReplaySource.Stop();
                  }
                  if (i >= from) {
                    rows.accept(row, i);
                  }
                }

                @Override
                public void rejected(String origin, String reason) {
                  throw new AssertionError(origin + ": " + reason);
                }
              });
    } catch (ReplaySource.Stop enough) {
      // the rows wanted are read
    }
  }
}
