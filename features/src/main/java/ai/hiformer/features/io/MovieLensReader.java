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
 * MovieLens-100k (docs/PROTOCOL.md §1.2): the ratings of {@code u.data.sorted_by_time.tsv} in file
 * order, joined with {@code u.user} on user id and {@code u.item} (ISO-8859-1) on item id. Columns:
 * {@code user_id, item_id, rating, timestamp, age, gender, occupation, zip, release_date}, and
 * {@code genres} as a list of the genre indices "0".."18" whose flag is set.
 */
public final class MovieLensReader implements DatasetReader {
  public static final String RATINGS = "u.data.sorted_by_time.tsv";
  private final Path dir;

  public MovieLensReader(Path dir) {
    this.dir = dir;
  }

  @Override
  public void read(RowSink sink) throws IOException {
    Map<String, String[]> users = new HashMap<>();
    for (String line : Files.readAllLines(dir.resolve("u.user"), StandardCharsets.US_ASCII)) {
      String[] f = line.split("\\|", -1);
      if (f.length == 5) {
        users.put(f[0], f);
      }
    }
    Map<String, String[]> items = new HashMap<>();
    for (String line : Files.readAllLines(dir.resolve("u.item"), StandardCharsets.ISO_8859_1)) {
      String[] f = line.split("\\|", -1);
      if (f.length == 24) {
        items.put(f[0], f);
      }
    }
    try (BufferedReader in =
        Files.newBufferedReader(dir.resolve(RATINGS), StandardCharsets.US_ASCII)) {
      String line;
      long lineNo = 0;
      while ((line = in.readLine()) != null) {
        lineNo++;
        String origin = RATINGS + ":" + lineNo;
        String[] r = line.split("\t", -1);
        if (r.length != 4) {
          sink.rejected(origin, "expected 4 fields, found " + r.length);
          continue;
        }
        String[] user = users.get(r[0]);
        String[] item = items.get(r[1]);
        if (user == null || item == null) {
          sink.rejected(origin, user == null ? "unknown user " + r[0] : "unknown item " + r[1]);
          continue;
        }
        List<String> genres = new ArrayList<>(6);
        for (int g = 0; g < 19; g++) {
          if ("1".equals(item[5 + g])) {
            genres.add(Integer.toString(g));
          }
        }
        Row row =
            new Row() {
              @Override
              public String text(String column) {
                return switch (column) {
                  case "user_id" -> r[0];
                  case "item_id" -> r[1];
                  case "rating" -> r[2];
                  case "timestamp" -> r[3];
                  case "age" -> user[1];
                  case "gender" -> user[2];
                  case "occupation" -> user[3];
                  case "zip" -> user[4];
                  case "release_date" -> item[2];
                  case "title" -> item[1];
                  case "genres" -> String.join(",", genres);
                  default -> null;
                };
              }

              @Override
              public List<String> list(String column) {
                return column.equals("genres") ? genres : null;
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
}
