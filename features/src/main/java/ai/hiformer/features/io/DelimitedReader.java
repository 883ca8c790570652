package ai.hiformer.features.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Delimited text (TSV, CSV without quoting) with the column names from a header line or from the
 * spec. A line with another number of fields than there are columns is rejected with its line
 * number.
 */
public final class DelimitedReader implements DatasetReader {
  private final Path file;
  private final String delimiter;
  private final boolean header;
  private final List<String> columns;

  public DelimitedReader(Path file, String delimiter, boolean header, List<String> columns) {
    this.file = file;
    this.delimiter = delimiter;
    this.header = header;
    this.columns = List.copyOf(columns);
  }

  @Override
  public void read(RowSink sink) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      List<String> names = columns;
      String line;
      long lineNo = 0;
      if (header) {
        line = in.readLine();
        lineNo++;
        if (line == null) {
          return;
        }
        List<String> fromHeader = split(line, delimiter);
        if (names.isEmpty()) {
          names = fromHeader;
        }
      }
      Map<String, Integer> index = new HashMap<>();
      for (int i = 0; i < names.size(); i++) {
        index.put(names.get(i), i);
      }
      String fileName = file.getFileName().toString();
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isEmpty()) {
          continue; // a blank line (e.g. a trailing one) holds no record
        }
        String origin = fileName + ":" + lineNo;
        List<String> values = split(line, delimiter);
        if (values.size() != names.size()) {
          sink.rejected(origin, "expected " + names.size() + " fields, found " + values.size());
          continue;
        }
        Row row =
            new Row() {
              @Override
              public String text(String column) {
                Integer i = index.get(column);
                return i == null ? null : values.get(i);
              }

              @Override
              public String origin() {
                return origin;
              }
            };
        sink.offer(row);
      }
    }
  }

  /**
   * Splits on every occurrence of the delimiter, keeping empty fields (String.split drops trailing
   * ones).
   */
  static List<String> split(String line, String delimiter) {
    List<String> out = new ArrayList<>();
    int start = 0;
    int i;
    while ((i = line.indexOf(delimiter, start)) >= 0) {
      out.add(line.substring(start, i));
      start = i + delimiter.length();
    }
    out.add(line.substring(start));
    return out;
  }
}
