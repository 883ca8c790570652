package ai.hiformer.jobs.stream;

import ai.hiformer.schemas.WireCodec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Avro records in Confluent's wire format, as their producers' serializers write them: a zero byte,
 * the writer schema's id (4 bytes, big-endian), then the record in Avro's binary encoding. Each
 * record is read with the schema its id names, fetched once from the registry and kept (an id's
 * schema never changes), and handed on as a tree of fields for {@link MappedRecords} to map by
 * name; no reader schema is needed, so a producer may add fields or change their order freely. No
 * Flink here; one instance per thread (it reuses its decoder).
 *
 * <p>A record that cannot be read (too short, another magic byte, an id the registry does not know,
 * bytes that do not parse with that schema, bytes left over) throws a {@link
 * WireCodec.DecodeException}: the dead-letter reason. A registry that cannot be reached is not the
 * record's fault: that throws {@link UncheckedIOException}, the task fails and restarts from its
 * last checkpoint, and the record is read again.
 */
public final class ConfluentAvro {
  /** The first byte of every record in Confluent's wire format. */
  public static final byte MAGIC = 0;

  /** Where schemas come from: a registry, or (in tests) a map. */
  public interface Schemas {
    /**
     * The schema with {@code id}.
     *
     * @throws WireCodec.DecodeException if there is no such id
     * @throws UncheckedIOException if the schemas cannot be reached
     */
    Schema byId(int id) throws WireCodec.DecodeException;
  }

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Schemas schemas;

  /** How long an id the registry did not know stays unknown before it is asked again. */
  static final long UNKNOWN_FOR_NANOS = 10_000_000_000L;

  private record Unknown(String reason, long sinceNanos) {}

  private final Map<Integer, GenericDatumReader<Object>> readers = new HashMap<>();
  private final Map<Integer, Unknown> unknown = new HashMap<>();
  private BinaryDecoder decoder; // reused from record to record

  public ConfluentAvro(Schemas schemas) {
    this.schemas = schemas;
  }

  /** Records whose schemas are looked up in the Confluent-compatible registry at {@code url}. */
  public static ConfluentAvro fromRegistry(String url) {
    if (url == null) {
      throw new IllegalArgumentException(
          MappedRecords.SCHEMA_REGISTRY_URL.key()
              + " is not set; allowed: the URL of a Confluent-compatible schema registry, needed by"
              + " the avro-confluent format");
    }
    return new ConfluentAvro(new Registry(url));
  }

  /** The record in {@code framed}, as a tree of its fields. */
  public JsonNode tree(byte[] framed) throws WireCodec.DecodeException {
    if (framed == null || framed.length < 5) {
      throw new WireCodec.DecodeException(
          "not Confluent-framed Avro: "
              + (framed == null ? "no value" : framed.length + " bytes")
              + ", shorter than the 5-byte header");
    }
    if (framed[0] != MAGIC) {
      throw new WireCodec.DecodeException(
          "not Confluent-framed Avro: first byte " + framed[0] + ", expected " + MAGIC);
    }
    int id = ByteBuffer.wrap(framed, 1, 4).getInt();
    GenericDatumReader<Object> reader = readers.get(id);
    if (reader == null) {
      reader = new GenericDatumReader<>(schema(id));
      readers.put(id, reader);
    }
    decoder = DecoderFactory.get().binaryDecoder(framed, 5, framed.length - 5, decoder);
    Object datum;
    try {
      datum = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new WireCodec.DecodeException(
            "bytes left over after a record of schema id " + id + ": written with another schema?");
      }
    } catch (EOFException e) {
      throw new WireCodec.DecodeException("truncated: the record ends inside schema id " + id);
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException e) {
      throw new WireCodec.DecodeException(
          "does not parse as schema id " + id + ": " + e.getMessage());
    }
    if (!(datum instanceof GenericRecord record)) {
      throw new WireCodec.DecodeException(
          "schema id " + id + " is not a record but " + reader.getSchema().getType());
    }
    return node(record, record.getSchema());
  }

  /**
   * The schema of {@code id}; an id the schemas did not know is answered from memory for {@link
   * #UNKNOWN_FOR_NANOS}, so that a run of records with a wrong id does not ask once per record.
   */
  private Schema schema(int id) throws WireCodec.DecodeException {
    Unknown known = unknown.get(id);
    if (known != null && System.nanoTime() - known.sinceNanos() < UNKNOWN_FOR_NANOS) {
      throw new WireCodec.DecodeException(known.reason());
    }
    try {
      return schemas.byId(id);
    } catch (WireCodec.DecodeException e) {
      if (unknown.size() >= 1024) {
        unknown.clear(); // bounded: garbage ids must not grow the map
      }
      unknown.put(id, new Unknown(e.getMessage(), System.nanoTime()));
      throw e;
    }
  }

  /** An Avro value as a tree node: records and maps as objects, arrays as arrays. */
  private static JsonNode node(Object v, Schema schema) {
    if (v == null) {
      return NODES.nullNode();
    }
    if (schema.getType() == Schema.Type.UNION) {
      schema = schema.getTypes().get(GenericData.get().resolveUnion(schema, v));
    }
    return switch (schema.getType()) {
      case RECORD -> {
        GenericRecord r = (GenericRecord) v;
        ObjectNode o = NODES.objectNode();
        for (Schema.Field f : schema.getFields()) {
          o.set(f.name(), node(r.get(f.pos()), f.schema()));
        }
        yield o;
      }
      case MAP -> {
        ObjectNode o = NODES.objectNode();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
          o.set(e.getKey().toString(), node(e.getValue(), schema.getValueType()));
        }
        yield o;
      }
      case ARRAY -> {
        ArrayNode a = NODES.arrayNode();
        for (Object e : (Collection<?>) v) {
          a.add(node(e, schema.getElementType()));
        }
        yield a;
      }
      case STRING, ENUM -> NODES.textNode(v.toString());
      case BOOLEAN -> NODES.booleanNode((Boolean) v);
      case INT -> NODES.numberNode((Integer) v);
      case LONG -> NODES.numberNode(epochMillisIfTimestamp((Long) v, schema.getLogicalType()));
      case FLOAT -> NODES.numberNode((double) (Float) v);
      case DOUBLE -> NODES.numberNode((Double) v);
      case BYTES -> NODES.binaryNode(bytes((ByteBuffer) v));
      case FIXED -> NODES.binaryNode(((GenericFixed) v).bytes());
      case NULL -> NODES.nullNode();
      case UNION -> throw new IllegalStateException("a union inside a union");
    };
  }

  /** Event times in microseconds become milliseconds, as the field mapping reads them. */
  private static long epochMillisIfTimestamp(long v, LogicalType type) {
    return type instanceof LogicalTypes.TimestampMicros
            || type instanceof LogicalTypes.LocalTimestampMicros
        ? Math.floorDiv(v, 1000L)
        : v;
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  /**
   * The Confluent-compatible REST API: {@code GET {url}/schemas/ids/{id}} answers {@code {"schema":
   * "..."}}, or 404 for an unknown id.
   */
  static final class Registry implements Schemas {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String url;
    private final HttpClient http =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    Registry(String url) {
      this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public Schema byId(int id) throws WireCodec.DecodeException {
      HttpResponse<String> r;
      try {
        r =
            http.send(
                HttpRequest.newBuilder(URI.create(url + "/schemas/ids/" + id))
                    .header("Accept", "application/vnd.schemaregistry.v1+json, application/json")
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        throw new UncheckedIOException("schema registry " + url + " not reachable", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UncheckedIOException(
            new IOException("interrupted while asking " + url + " for schema id " + id, e));
      }
      if (r.statusCode() == 404) {
        throw new WireCodec.DecodeException(
            "unknown schema id " + id + " (the registry at " + url + " has no such schema)");
      }
      if (r.statusCode() != 200) {
        throw new UncheckedIOException(
            new IOException(
                "schema registry " + url + " answered HTTP " + r.statusCode() + " for id " + id));
      }
      try {
        JsonNode body = JSON.readTree(r.body());
        JsonNode type = body.get("schemaType");
        if (type != null && !type.asText().equals("AVRO")) {
          throw new WireCodec.DecodeException(
              "schema id " + id + " is " + type.asText() + ", not Avro");
        }
        return new Schema.Parser().parse(body.get("schema").asText());
      } catch (IOException | RuntimeException e) {
        throw new WireCodec.DecodeException(
            "schema id " + id + " is not an Avro schema: " + e.getMessage());
      }
    }
  }
}
