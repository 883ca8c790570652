package ai.hiformer.features.io;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.features.spec.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Streams a dataset's rows in order. Which reader is used follows from the spec's {@code format}.
 */
public interface DatasetReader {
  /**
   * Delivers every row to the sink in stream order. A row the sink rejects with {@link
   * BadRowException} is reported to {@link RowSink#rejected} and skipped.
   */
  void read(RowSink sink) throws IOException;

  static DatasetReader forSpec(FeatureSpec spec, Path data) {
    if (!Files.exists(data)) {
      throw new SpecException("data path " + data + " does not exist");
    }
    return switch (spec.format()) {
      case "delimited" ->
          new DelimitedReader(resolveFile(data), spec.delimiter(), spec.header(), spec.columns());
      case "jsonl" -> new JsonLinesReader(resolveFile(data));
      case "movielens" -> new MovieLensReader(data);
      default -> throw new SpecException("spec.format: unknown format " + spec.format());
    };
  }

  private static Path resolveFile(Path data) {
    if (!Files.isDirectory(data)) {
      return data;
    }
    try (var files = Files.list(data)) {
      return files
          .filter(p -> Files.isRegularFile(p) && !p.getFileName().toString().endsWith(".md"))
          .sorted()
          .findFirst()
          .orElseThrow(() -> new SpecException("data directory " + data + " holds no data file"));
    } catch (IOException e) {
      throw new SpecException("cannot list data directory " + data + ": " + e.getMessage());
    }
  }
}
