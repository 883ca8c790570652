package ai.hiformer.local.chaos;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.local.embedded.RowToEvent;
import ai.hiformer.local.embedded.SyntheticStream;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Records that move a job's event time on once a replayed stream stops, so that its last join
 * windows close and every impression is learned. A job's watermarks stand still when its input does
 * (the records might only be late), and a job restored after the stream begins them anew from what
 * it reads: impressions and labels at the wall clock's time, years after a replayed dataset's,
 * close every window.
 *
 * @param producer Kafka producer settings (bootstrap.servers at least)
 * @param spec the feature spec of the events
 * @param modelId the model the records are for
 * @param eventsTopic where the tail's impressions go
 * @param labelsTopic where labels of no impression go, one on each of its {@code labelPartitions}
 */
public record EventTimeNudge(
    Properties producer,
    FeatureSpec spec,
    String modelId,
    String eventsTopic,
    String labelsTopic,
    int labelPartitions) {

  /**
   * Sends {@code n} impressions without labels at the wall clock's time ({@code prefix0}, ...,
   * learned as negatives once their window closes, and counted among the examples), 20 ms apart,
   * then a label of no impression on each labels partition.
   */
  public void sendTail(String prefix, int n) throws Exception {
    WireCodec<Event> events = WireCodec.events();
    RowToEvent convert = new RowToEvent(spec, modelId);
    SyntheticStream stream = new SyntheticStream(99);
    try (KafkaProducer<byte[], byte[]> p = open()) {
      for (int i = 0; i < n; i++) {
        Event e = convert.convert(stream.next(), i);
        e.setRequestId(prefix + i);
        e.setLabels(Map.of());
        e.setEventTime(Instant.now());
        p.send(new ProducerRecord<>(eventsTopic, key(), events.encode(e)));
        Thread.sleep(20);
      }
      p.flush();
    }
    sendLabelsOfNoImpression(Instant.now());
  }

  /**
   * On each labels partition a label at {@code time} for a request id no impression has: the join
   * drops it, and its time moves the labels side's watermark on.
   */
  public void sendLabelsOfNoImpression(Instant time) throws Exception {
    WireCodec<Label> codec = WireCodec.labels();
    String task = spec.tasks().get(0).name();
    try (KafkaProducer<byte[], byte[]> p = open()) {
      for (int partition = 0; partition < labelPartitions; partition++) {
        Label l =
            Label.newBuilder()
                .setRequestId("no-impression-" + partition)
                .setModelId(modelId)
                .setTask(task)
                .setValue(1)
                .setTime(time)
                .build();
        p.send(new ProducerRecord<>(labelsTopic, partition, key(), codec.encode(l)));
      }
      p.flush();
    }
  }

  private byte[] key() {
    return modelId.getBytes(StandardCharsets.UTF_8);
  }

  private KafkaProducer<byte[], byte[]> open() {
    return new KafkaProducer<>(producer, new ByteArraySerializer(), new ByteArraySerializer());
  }
}
