package ai.hiformer.jobs.stream;

import ai.hiformer.schemas.Event;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * An event that passed validation, decoded once (a Flink POJO): its model id (the key of scoring
 * and learning), request id (the key of the label join), time, feature columns and labels. The
 * columns are maps as the Avro event has them ({@link #of}) until the job's decoder encodes them
 * into {@link #impression}, the form in which they cross the job's network edges.
 */
public class ValidEvent {
  public String modelId;
  public String requestId;
  public long eventTimeMillis;
  public Map<String, String> categorical;

  /** Typed explicitly: Flink's type extraction would leave a map of lists to Kryo. */
  @TypeInfo(MultiValuedTypeInfo.class)
  public Map<String, List<String>> multi;

  public Map<String, Double> numeric;

  /** Label per task; empty for an impression whose labels come on their own topic. */
  public Map<String, Double> labels;

  /**
   * The columns the spec reads as the label join keeps them ({@link ImpressionCodec}; its time
   * included), in place of the maps, which are then null: every event the job decodes and every
   * joined example carries them so; null only on an event built from its maps ({@link #of}).
   */
  public byte[] impression;

  /** The event carries labels already (it skips the label join). */
  public boolean labelled;

  /** A joined example: learn from it, do not score it again. */
  public boolean trainOnly;

  /**
   * A joined example learned again: a positive that arrived after its impression's window ({@code
   * join.mode = window-fnw}); its labels hold only the late tasks.
   */
  public boolean latePositive;

  public ValidEvent() {}

  /** {@code Map<String, List<String>>} with Flink's own map and list serializers. */
  public static final class MultiValuedTypeInfo extends TypeInfoFactory<Map<String, List<String>>> {
    @Override
    public TypeInformation<Map<String, List<String>>> createTypeInfo(
        Type t, Map<String, TypeInformation<?>> generics) {
      return Types.MAP(Types.STRING, Types.LIST(Types.STRING));
    }
  }

  /** The validated Avro event's content (its maps are taken as they are, not copied). */
  public static ValidEvent of(Event e) {
    ValidEvent v = new ValidEvent();
    v.modelId = e.getModelId();
    v.requestId = e.getRequestId();
    v.eventTimeMillis = e.getEventTime().toEpochMilli();
    v.categorical = e.getCategorical();
    v.multi = e.getMulti();
    v.numeric = e.getNumeric();
    v.labels = e.getLabels();
    v.labelled = !e.getLabels().isEmpty();
    return v;
  }

  /** The Avro event again (for a dead letter: the rare case of a rejection after validation). */
  public Event toEvent() {
    return Event.newBuilder()
        .setModelId(modelId)
        .setRequestId(requestId)
        .setEventTime(Instant.ofEpochMilli(eventTimeMillis))
        .setCategorical(categorical)
        .setMulti(multi)
        .setNumeric(numeric)
        .setLabels(labels)
        .build();
  }
}
