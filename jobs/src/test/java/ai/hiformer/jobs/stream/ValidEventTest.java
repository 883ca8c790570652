package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.WireCodec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The decoded event travels between operators with Flink's own serializers: no field falls back to
 * Kryo (which cannot rebuild Avro's list type and would fail every restore of the job), and a round
 * trip keeps every field of an event just decoded from Avro.
 */
class ValidEventTest {
  @Test
  void aDecodedEventSurvivesFlinksSerializerWithoutKryo() throws Exception {
    TypeInformation<ValidEvent> type = TypeInformation.of(ValidEvent.class);
    assertThat(type).isInstanceOf(PojoTypeInfo.class);
    assertThat(type.toString()).doesNotContain("GenericType");

    WireCodec<Event> codec = WireCodec.events();
    Event decoded =
        codec.decode(
            codec.encode(
                Event.newBuilder()
                    .setRequestId("r1")
                    .setModelId("m")
                    .setEventTime(Instant.ofEpochMilli(1_700_000_000_123L))
                    .setCategorical(Map.of("user", "u7"))
                    .setMulti(Map.of("genres", List.of("1", "4")))
                    .setNumeric(Map.of("price", 2.5))
                    .setLabels(Map.of("click", 1.0))
                    .build()));
    ValidEvent v = ValidEvent.of(decoded);
    TypeSerializer<ValidEvent> serializer = type.createSerializer(new SerializerConfigImpl());
    DataOutputSerializer out = new DataOutputSerializer(256);
    serializer.serialize(v, out);
    ValidEvent back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

    assertThat(back.toEvent()).isEqualTo(decoded);
    assertThat(back.labelled).isTrue();
    assertThat(back.trainOnly).isFalse();
  }
}
