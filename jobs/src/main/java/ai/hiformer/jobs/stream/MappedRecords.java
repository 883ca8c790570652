package ai.hiformer.jobs.stream;

import ai.hiformer.model.config.Option;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Events and labels in the user's own layout, with the user's field names: JSON objects ({@code
 * json}) or the user's Avro records in Confluent's wire format ({@code avro-confluent}, read into
 * the same tree by {@link ConfluentAvro}). The job reads them into the same records as its own Avro
 * topics carry, so everything after decoding is the same. No Flink here.
 *
 * <p>An event: the fields named by {@code fields.request-id}, {@code fields.model-id} and {@code
 * fields.event-time} (epoch milliseconds, or an ISO-8601 instant such as {@code
 * 2026-12-06T10:00:00Z}); an object (or Avro map) of labels already known under {@code
 * fields.labels} (task → 0 or 1, optional); every other field is a feature column under its own
 * name, as the feature spec names columns: a string, enum or boolean is a categorical value, a
 * number a numeric one, an array of strings a multi-valued one, null absent. A label: request id,
 * model id, {@code fields.label-task}, {@code fields.label-value} (0 or 1) and {@code
 * fields.label-time}. Without a model-id field, a record goes to the only configured model if there
 * is one.
 *
 * <p>A record that does not fit (not JSON, not an object, a missing or mistyped mapped field, an
 * array holding something other than strings) throws a {@link WireCodec.DecodeException} whose
 * message is the dead-letter reason.
 */
public final class MappedRecords {
  public static final Option<String> EVENTS_FORMAT =
      Option.oneOf(
          "events.format",
          "avro",
          "how the events topic's records are written: avro (the Event schema, single-object encoded), json"
              + " (one object per record) or avro-confluent (the user's Avro schema in Confluent's wire format,"
              + " schemas from schema-registry.url); json and avro-confluent fields are named by the fields.* keys",
          "avro",
          "json",
          "avro-confluent");
  public static final Option<String> LABELS_FORMAT =
      Option.oneOf(
          "labels.format",
          "avro",
          "how the labels topic's records are written: avro (the Label schema), json or avro-confluent",
          "avro",
          "json",
          "avro-confluent");
  public static final Option<String> SCHEMA_REGISTRY_URL =
      Option.optionalString(
          "schema-registry.url",
          "the Confluent-compatible schema registry that avro-confluent records' schema ids are looked up in"
              + " (for example http://registry:8081); needed when a format is avro-confluent");
  public static final Option<String> SCORES_FORMAT =
      Option.oneOf(
          "scores.format",
          "avro",
          "how scores are written: avro (the Score schema) or json (request id, model id and event time under the"
              + " fields.* names, then modelVersion, scores (task → probability) and scoringTime, times in epoch ms)",
          "avro",
          "json");
  public static final Option<String> REQUEST_ID =
      Option.string(
          "fields.request-id",
          "requestId",
          "json, avro-confluent: the field holding the request id");
  public static final Option<String> MODEL_ID =
      Option.string(
          "fields.model-id",
          "modelId",
          "json, avro-confluent: the field holding the model id (absent from a record: the only configured"
              + " model)");
  public static final Option<String> EVENT_TIME =
      Option.string(
          "fields.event-time",
          "eventTime",
          "json, avro-confluent: the field holding an event's time (epoch ms, or an ISO-8601 instant)");
  public static final Option<String> EVENT_LABELS =
      Option.string(
          "fields.labels",
          "labels",
          "json, avro-confluent: the object of labels an event already carries (optional)");
  public static final Option<String> LABEL_TASK =
      Option.string(
          "fields.label-task", "task", "json, avro-confluent: the field holding a label's task");
  public static final Option<String> LABEL_VALUE =
      Option.string(
          "fields.label-value",
          "value",
          "json, avro-confluent: the field holding a label's value (0 or 1)");
  public static final Option<String> LABEL_TIME =
      Option.string(
          "fields.label-time",
          "time",
          "json, avro-confluent: the field holding a label's time (epoch ms, or an ISO-8601 instant)");

  /** The options above. */
  public static final List<Option<?>> OPTIONS = Option.declaredIn(MappedRecords.class);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String requestId;
  private final String modelId;
  private final String eventTime;
  private final String eventLabels;
  private final String labelTask;
  private final String labelValue;
  private final String labelTime;
  private final String onlyModel; // null unless exactly one model id is configured

  /** A record's decoder: the bytes of one record, or a dead-letter reason. */
  public interface Decoder<T> {
    T decode(byte[] bytes) throws WireCodec.DecodeException;
  }

  /** How the configured events format becomes the job's event records. */
  public static Decoder<Event> eventDecoder(JobConfig config) {
    return decoder(config, EVENTS_FORMAT, MappedRecords::event, WireCodec.events());
  }

  /** How the configured labels format becomes the job's label records. */
  public static Decoder<Label> labelDecoder(JobConfig config) {
    return decoder(config, LABELS_FORMAT, MappedRecords::label, WireCodec.labels());
  }

  private interface FromTree<T> {
    T read(MappedRecords mapping, JsonNode tree) throws WireCodec.DecodeException;
  }

  private static <T extends org.apache.avro.specific.SpecificRecordBase> Decoder<T> decoder(
      JobConfig config, Option<String> format, FromTree<T> fromTree, WireCodec<T> own) {
    MappedRecords mapping = new MappedRecords(config);
    return switch (config.get(format)) {
      case "json" -> bytes -> fromTree.read(mapping, object(bytes));
      case "avro-confluent" -> {
        ConfluentAvro avro = ConfluentAvro.fromRegistry(config.get(SCHEMA_REGISTRY_URL));
        yield bytes -> fromTree.read(mapping, avro.tree(bytes));
      }
      default -> own::decode;
    };
  }

  public MappedRecords(JobConfig config) {
    this.requestId = config.get(REQUEST_ID);
    this.modelId = config.get(MODEL_ID);
    this.eventTime = config.get(EVENT_TIME);
    this.eventLabels = config.get(EVENT_LABELS);
    this.labelTask = config.get(LABEL_TASK);
    this.labelValue = config.get(LABEL_VALUE);
    this.labelTime = config.get(LABEL_TIME);
    Set<String> models = config.get(JobConfig.MODEL_IDS);
    this.onlyModel = models.size() == 1 ? models.iterator().next() : null;
  }

  /** One JSON event as the job's event record. */
  public Event event(byte[] bytes) throws WireCodec.DecodeException {
    return event(object(bytes));
  }

  /** One event, as a tree of fields (a JSON object, or an Avro record read as one). */
  public Event event(JsonNode o) throws WireCodec.DecodeException {
    Map<String, String> categorical = new HashMap<>();
    Map<String, List<String>> multi = new HashMap<>();
    Map<String, Double> numeric = new HashMap<>();
    Map<String, Double> labels = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String name = f.getKey();
      JsonNode v = f.getValue();
      if (name.equals(requestId) || name.equals(modelId) || name.equals(eventTime)) {
        continue;
      }
      if (name.equals(eventLabels)) {
        labels(v, labels);
      } else if (v.isTextual() || v.isBoolean()) {
        categorical.put(name, v.asText());
      } else if (v.isNumber()) {
        numeric.put(name, v.doubleValue());
      } else if (v.isArray()) {
        multi.put(name, strings(name, v));
      } else if (!v.isNull()) {
        throw new WireCodec.DecodeException(
            "field '" + name + "' is " + v.getNodeType() + "; allowed: string, number, array");
      }
    }
    return Event.newBuilder()
        .setRequestId(text(o, requestId))
        .setModelId(model(o))
        .setEventTime(time(o, eventTime))
        .setCategorical(categorical)
        .setMulti(multi)
        .setNumeric(numeric)
        .setLabels(labels)
        .build();
  }

  /** One JSON label as the job's label record. */
  public Label label(byte[] bytes) throws WireCodec.DecodeException {
    return label(object(bytes));
  }

  /** One label, as a tree of fields. */
  public Label label(JsonNode o) throws WireCodec.DecodeException {
    JsonNode value = o.get(labelValue);
    if (value == null || !value.isNumber()) {
      throw new WireCodec.DecodeException("missing or not a number: '" + labelValue + "'");
    }
    return Label.newBuilder()
        .setRequestId(text(o, requestId))
        .setModelId(model(o))
        .setTask(text(o, labelTask))
        .setValue(value.doubleValue())
        .setTime(time(o, labelTime))
        .build();
  }

  /** A score as one JSON object (times in epoch ms). */
  public byte[] score(
      String request,
      String model,
      long modelVersion,
      Map<String, Double> scores,
      long eventTimeMillis,
      long scoringTimeMillis) {
    var o = JSON.createObjectNode();
    o.put(requestId, request).put(modelId, model).put("modelVersion", modelVersion);
    var s = o.putObject("scores");
    scores.forEach(s::put);
    o.put(eventTime, eventTimeMillis).put("scoringTime", scoringTimeMillis);
    try {
      return JSON.writeValueAsBytes(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a score could not be written as JSON", e);
    }
  }

  private static JsonNode object(byte[] bytes) throws WireCodec.DecodeException {
    if (bytes == null) {
      throw new WireCodec.DecodeException("empty record (null value)");
    }
    JsonNode o;
    try {
      o = JSON.readTree(bytes);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new WireCodec.DecodeException("not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new WireCodec.DecodeException("not JSON: " + e.getMessage());
    }
    if (o == null || !o.isObject()) {
      throw new WireCodec.DecodeException("not a JSON object");
    }
    return o;
  }

  private static String text(JsonNode o, String field) throws WireCodec.DecodeException {
    JsonNode v = o.get(field);
    if (v == null || !(v.isTextual() || v.isNumber())) {
      throw new WireCodec.DecodeException("missing or not a string: '" + field + "'");
    }
    return v.asText();
  }

  private String model(JsonNode o) throws WireCodec.DecodeException {
    if (!o.has(modelId) && onlyModel != null) {
      return onlyModel;
    }
    return text(o, modelId);
  }

  private static Instant time(JsonNode o, String field) throws WireCodec.DecodeException {
    JsonNode v = o.get(field);
    if (v != null && v.isIntegralNumber()) {
      return Instant.ofEpochMilli(v.longValue());
    }
    if (v != null && v.isTextual()) {
      try {
        return Instant.parse(v.asText());
      } catch (DateTimeParseException e) {
        throw new WireCodec.DecodeException(
            "'" + field + "' is not an ISO-8601 instant: " + v.asText());
      }
    }
    throw new WireCodec.DecodeException(
        "missing or not a time: '" + field + "' (epoch ms, or an ISO-8601 instant)");
  }

  private static List<String> strings(String name, JsonNode array)
      throws WireCodec.DecodeException {
    List<String> out = new ArrayList<>(array.size());
    for (JsonNode e : array) {
      if (!e.isTextual() && !e.isNumber()) {
        throw new WireCodec.DecodeException(
            "field '" + name + "' holds " + e.getNodeType() + "; allowed: strings");
      }
      out.add(e.asText());
    }
    return out;
  }

  private void labels(JsonNode v, Map<String, Double> into) throws WireCodec.DecodeException {
    if (v.isNull()) {
      return;
    }
    if (!v.isObject()) {
      throw new WireCodec.DecodeException("'" + eventLabels + "' is not an object of task → 0/1");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> l = it.next();
      if (!l.getValue().isNumber()) {
        throw new WireCodec.DecodeException("label of task '" + l.getKey() + "' is not a number");
      }
      into.put(l.getKey(), l.getValue().doubleValue());
    }
  }
}
