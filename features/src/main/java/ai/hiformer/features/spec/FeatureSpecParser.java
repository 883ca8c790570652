package ai.hiformer.features.spec;

import ai.hiformer.features.spec.FieldSpec.NumericTransform;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a {@link FeatureSpec} from its JSON text and validates it as it goes: every error names the
 * field or task and the problem, and an unknown key is an error naming the allowed ones.
 */
final class FeatureSpecParser {
  private FeatureSpecParser() {}

  private static final Set<String> TOP_KEYS =
      Set.of(
          "name",
          "format",
          "delimiter",
          "header",
          "columns",
          "tasks",
          "fields",
          "embedding",
          "description");
  private static final Set<String> FIELD_KEYS =
      Set.of(
          "name",
          "kind",
          "column",
          "empty",
          "prefix",
          "suffix",
          "buckets",
          "separator",
          "max_values",
          "transform",
          "scale",
          "clip",
          "part",
          "unit",
          "embedding");
  private static final Set<String> TASK_KEYS = Set.of("name", "column", "threshold");
  private static final Set<String> EMBEDDING_KEYS =
      Set.of("keys", "buckets", "admission", "ttl_events", "capacity");
  private static final Set<String> FORMATS = Set.of("delimited", "jsonl", "movielens");

  static FeatureSpec parse(String text) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new SpecException("not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new SpecException("a feature spec must be a JSON object");
    }
    checkKeys(root, TOP_KEYS, "spec");
    String name = text(root, "name", "spec", "unnamed");
    String format = text(root, "format", "spec", "delimited").toLowerCase(Locale.ROOT);
    if (!FORMATS.contains(format)) {
      throw new SpecException("spec.format: unknown format '" + format + "'; allowed: " + FORMATS);
    }
    String delimiter = unescape(text(root, "delimiter", "spec", "\t"));
    if (delimiter.isEmpty()) {
      throw new SpecException("spec.delimiter must not be empty");
    }
    boolean header = root.has("header") && bool(root, "header", "spec");
    List<String> columns = new ArrayList<>();
    if (root.has("columns")) {
      JsonNode c = root.get("columns");
      if (!c.isArray()) {
        throw new SpecException("spec.columns must be a list of column names");
      }
      c.forEach(n -> columns.add(n.asText()));
    }
    EmbeddingSpec defaultEmbedding =
        root.has("embedding")
            ? embedding(root.get("embedding"), "spec.embedding", EmbeddingSpec.EXACT)
            : EmbeddingSpec.EXACT;

    JsonNode taskNodes = root.get("tasks");
    if (taskNodes == null || !taskNodes.isArray() || taskNodes.isEmpty()) {
      throw new SpecException(
          "spec.tasks: at least one task is required, e.g. [{\"name\": \"click\", \"column\": \"label\"}]");
    }
    List<TaskSpec> tasks = new ArrayList<>();
    Set<String> taskNames = new HashSet<>();
    for (JsonNode t : taskNodes) {
      String where = "task #" + tasks.size();
      if (!t.isObject()) {
        throw new SpecException(where + " must be an object");
      }
      checkKeys(t, TASK_KEYS, where);
      String tn = required(t, "name", where);
      where = "task '" + tn + "'";
      if (!taskNames.add(tn)) {
        throw new SpecException(where + ": duplicate task name");
      }
      Double threshold = t.has("threshold") ? number(t, "threshold", where) : null;
      tasks.add(new TaskSpec(tn, text(t, "column", where, tn), threshold));
    }

    JsonNode fieldNodes = root.get("fields");
    if (fieldNodes == null || !fieldNodes.isArray() || fieldNodes.isEmpty()) {
      throw new SpecException("spec.fields: at least one field is required");
    }
    List<FieldSpec> single = new ArrayList<>();
    List<FieldSpec> multi = new ArrayList<>();
    List<FieldSpec> numeric = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (JsonNode f : fieldNodes) {
      FieldSpec fs = field(f, single.size() + multi.size() + numeric.size(), defaultEmbedding);
      if (!names.add(fs.name())) {
        throw new SpecException("field '" + fs.name() + "': duplicate field name");
      }
      switch (fs.kind()) {
        case CATEGORICAL, TIME -> single.add(fs);
        case MULTI -> multi.add(fs);
        case NUMERIC -> numeric.add(fs);
        default -> throw new IllegalStateException();
      }
    }
    List<FieldSpec> ordered = new ArrayList<>(single);
    ordered.addAll(multi);
    ordered.addAll(numeric);
    if (format.equals("delimited") && !header && columns.isEmpty()) {
      throw new SpecException(
          "spec.columns: a delimited file without a header needs the list of column names");
    }
    if (format.equals("delimited") && !columns.isEmpty()) {
      Set<String> known = new HashSet<>(columns);
      for (FieldSpec fs : ordered) {
        if (!known.contains(fs.column())) {
          throw new SpecException(
              "field '"
                  + fs.name()
                  + "': column '"
                  + fs.column()
                  + "' is not in spec.columns "
                  + columns);
        }
      }
      for (TaskSpec t : tasks) {
        if (!known.contains(t.column())) {
          throw new SpecException(
              "task '"
                  + t.name()
                  + "': column '"
                  + t.column()
                  + "' is not in spec.columns "
                  + columns);
        }
      }
    }
    return new FeatureSpec(name, format, delimiter, header, columns, tasks, ordered, text);
  }

  private static FieldSpec field(JsonNode f, int index, EmbeddingSpec defaultEmbedding) {
    String where = "field #" + index;
    if (!f.isObject()) {
      throw new SpecException(where + " must be an object");
    }
    String name = required(f, "name", where);
    where = "field '" + name + "'";
    checkKeys(f, FIELD_KEYS, where);
    FieldKind kind = FieldKind.parse(required(f, "kind", where).toLowerCase(Locale.ROOT), name);
    String column = text(f, "column", where, name);
    String empty = text(f, "empty", where, "unk");
    int prefix = integer(f, "prefix", where, 0);
    int suffix = integer(f, "suffix", where, 0);
    if (prefix < 0 || suffix < 0 || (prefix > 0 && suffix > 0)) {
      throw new SpecException(where + ": prefix and suffix must be >= 0 and not both set");
    }
    List<Double> buckets = new ArrayList<>();
    if (f.has("buckets")) {
      JsonNode b = f.get("buckets");
      if (!b.isArray() || b.isEmpty()) {
        throw new SpecException(where + ": buckets must be a non-empty increasing list of numbers");
      }
      double prev = Double.NEGATIVE_INFINITY;
      for (JsonNode v : b) {
        if (!v.isNumber() || v.asDouble() <= prev) {
          throw new SpecException(
              where + ": buckets must be a non-empty increasing list of numbers, got " + b);
        }
        prev = v.asDouble();
        buckets.add(prev);
      }
      if (kind != FieldKind.CATEGORICAL) {
        throw new SpecException(where + ": buckets apply to categorical fields only");
      }
    }
    String separator = unescape(text(f, "separator", where, ","));
    int maxValues = integer(f, "max_values", where, 16);
    if (maxValues <= 0) {
      throw new SpecException(where + ": max_values must be > 0, got " + maxValues);
    }
    String transformName = text(f, "transform", where, "none").toUpperCase(Locale.ROOT);
    NumericTransform transform;
    try {
      transform = NumericTransform.valueOf(transformName);
    } catch (IllegalArgumentException e) {
      throw new SpecException(
          where
              + ": unknown transform '"
              + transformName.toLowerCase(Locale.ROOT)
              + "'; allowed: [none, log1p, zscore]");
    }
    if (transform != NumericTransform.NONE && kind != FieldKind.NUMERIC) {
      throw new SpecException(where + ": transform applies to numeric fields only");
    }
    double scale = f.has("scale") ? number(f, "scale", where) : 1.0;
    if (!Double.isFinite(scale) || scale == 0) {
      throw new SpecException(where + ": scale must be finite and non-zero, got " + scale);
    }
    double clipLo = Double.NEGATIVE_INFINITY;
    double clipHi = Double.POSITIVE_INFINITY;
    if (f.has("clip")) {
      JsonNode c = f.get("clip");
      if (!c.isArray()
          || c.size() != 2
          || !c.get(0).isNumber()
          || !c.get(1).isNumber()
          || c.get(0).asDouble() >= c.get(1).asDouble()) {
        throw new SpecException(where + ": clip must be [low, high] with low < high, got " + c);
      }
      clipLo = c.get(0).asDouble();
      clipHi = c.get(1).asDouble();
    }
    String part = text(f, "part", where, "hour").toLowerCase(Locale.ROOT);
    String unit = text(f, "unit", where, "seconds").toLowerCase(Locale.ROOT);
    if (kind == FieldKind.TIME) {
      if (!part.equals("hour") && !part.equals("weekday")) {
        throw new SpecException(
            where + ": unknown time part '" + part + "'; allowed: [hour, weekday]");
      }
      if (!unit.equals("seconds") && !unit.equals("milliseconds")) {
        throw new SpecException(
            where + ": unknown time unit '" + unit + "'; allowed: [seconds, milliseconds]");
      }
    }
    EmbeddingSpec embedding =
        f.has("embedding")
            ? embedding(f.get("embedding"), where + ".embedding", defaultEmbedding)
            : defaultEmbedding;
    return new FieldSpec(
        name, kind, column, empty, prefix, suffix, buckets, separator, maxValues, transform, scale,
        clipLo, clipHi, part, unit, embedding);
  }

  private static EmbeddingSpec embedding(JsonNode e, String where, EmbeddingSpec defaults) {
    if (!e.isObject()) {
      throw new SpecException(where + " must be an object");
    }
    checkKeys(e, EMBEDDING_KEYS, where);
    String keys = text(e, "keys", where, defaults.hashed() ? "hashed" : "exact");
    if (!keys.equals("exact") && !keys.equals("hashed")) {
      throw new SpecException(
          where + ".keys: unknown key scheme '" + keys + "'; allowed: [exact, hashed]");
    }
    try {
      return new EmbeddingSpec(
          keys.equals("hashed"),
          integer(e, "buckets", where, defaults.buckets()),
          integer(e, "admission", where, defaults.admission()),
          e.has("ttl_events") ? (long) number(e, "ttl_events", where) : defaults.ttlEvents(),
          integer(e, "capacity", where, keys.equals("hashed") ? 0 : defaults.capacity()));
    } catch (SpecException ex) {
      throw new SpecException(where + ": " + ex.getMessage());
    }
  }

  private static void checkKeys(JsonNode node, Set<String> allowed, String where) {
    Iterator<String> it = node.fieldNames();
    while (it.hasNext()) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw new SpecException(
            where + ": unknown key '" + k + "'; allowed: " + new java.util.TreeSet<>(allowed));
      }
    }
  }

  private static String required(JsonNode n, String key, String where) {
    JsonNode v = n.get(key);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      throw new SpecException(where + ": '" + key + "' is required (a non-empty string)");
    }
    return v.asText();
  }

  private static String text(JsonNode n, String key, String where, String dflt) {
    JsonNode v = n.get(key);
    if (v == null) {
      return dflt;
    }
    if (!v.isTextual()) {
      throw new SpecException(where + ": '" + key + "' must be a string, got " + v);
    }
    return v.asText();
  }

  private static boolean bool(JsonNode n, String key, String where) {
    JsonNode v = n.get(key);
    if (!v.isBoolean()) {
      throw new SpecException(where + ": '" + key + "' must be true or false, got " + v);
    }
    return v.asBoolean();
  }

  private static int integer(JsonNode n, String key, String where, int dflt) {
    JsonNode v = n.get(key);
    if (v == null) {
      return dflt;
    }
    if (!v.isIntegralNumber()) {
      throw new SpecException(where + ": '" + key + "' must be an integer, got " + v);
    }
    return v.asInt();
  }

  private static double number(JsonNode n, String key, String where) {
    JsonNode v = n.get(key);
    if (v == null || !v.isNumber()) {
      throw new SpecException(where + ": '" + key + "' must be a number, got " + v);
    }
    return v.asDouble();
  }

  private static String unescape(String s) {
    return s.replace("\\t", "\t");
  }
}
