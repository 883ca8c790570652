package ai.hiformer.features.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** JSON lines: one object per line; columns are top-level keys; arrays feed multi-valued fields. */
public final class JsonLinesReader implements DatasetReader {
  private final Path file;
  private final ObjectMapper mapper = new ObjectMapper();

  public JsonLinesReader(Path file) {
    this.file = file;
  }

  @Override
  public void read(RowSink sink) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      long lineNo = 0;
      String fileName = file.getFileName().toString();
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String origin = fileName + ":" + lineNo;
        JsonNode node;
        try {
          node = mapper.readTree(line);
        } catch (JsonProcessingException e) {
          sink.rejected(origin, "not valid JSON: " + e.getOriginalMessage());
          continue;
        }
        if (node == null || !node.isObject()) {
          sink.rejected(origin, "a JSON lines record must be an object");
          continue;
        }
        try {
          sink.accept(of(node, origin));
        } catch (BadRowException e) {
          sink.rejected(origin, e.getMessage());
        }
      }
    }
  }

  /** A row over one JSON object. */
  public static Row of(JsonNode node, String origin) {
    return new Row() {
      @Override
      public String text(String column) {
        JsonNode v = node.get(column);
        if (v == null || v.isNull()) {
          return null;
        }
        return v.isValueNode() ? v.asText() : v.toString();
      }

      @Override
      public List<String> list(String column) {
        JsonNode v = node.get(column);
        if (v == null || !v.isArray()) {
          return null;
        }
        List<String> out = new ArrayList<>(v.size());
        v.forEach(e -> out.add(e.asText()));
        return out;
      }

      @Override
      public String origin() {
        return origin;
      }
    };
  }
}
