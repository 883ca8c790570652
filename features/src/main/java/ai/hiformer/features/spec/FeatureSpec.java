package ai.hiformer.features.spec;

import ai.hiformer.model.InputLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A dataset's feature specification, loaded from JSON and validated on load: every error names the
 * field and the problem. A new dataset needs a spec, not code. Example (see {@code specs/}):
 *
 * <pre>{@code
 * {"name": "clicks", "format": "jsonl",
 *  "tasks": [{"name": "click", "column": "clicked"}],
 *  "fields": [{"name": "user", "kind": "categorical"},
 *             {"name": "price", "kind": "numeric", "transform": "log1p"}]}
 * }</pre>
 *
 * <p>Token order is fixed by kind, then listed order: categorical and time fields, multi-valued
 * fields, numeric fields (docs/PROTOCOL.md §2.1).
 */
public final class FeatureSpec {
  private final String name;
  private final String format;
  private final String delimiter;
  private final boolean header;
  private final List<String> columns;
  private final List<TaskSpec> tasks;
  private final List<FieldSpec> fields; // in token order
  private final String json;

  FeatureSpec(
      String name,
      String format,
      String delimiter,
      boolean header,
      List<String> columns,
      List<TaskSpec> tasks,
      List<FieldSpec> fields,
      String json) {
    this.name = name;
    this.format = format;
    this.delimiter = delimiter;
    this.header = header;
    this.columns = List.copyOf(columns);
    this.tasks = List.copyOf(tasks);
    this.fields = List.copyOf(fields);
    this.json = json;
  }

  public static FeatureSpec load(Path path) throws IOException {
    try {
      return parse(Files.readString(path));
    } catch (SpecException e) {
      throw new SpecException(path + ": " + e.getMessage());
    }
  }

  /** Parses and validates a spec's JSON text ({@link FeatureSpecParser}). */
  public static FeatureSpec parse(String text) {
    return FeatureSpecParser.parse(text);
  }

  public String name() {
    return name;
  }

  public String format() {
    return format;
  }

  public String delimiter() {
    return delimiter;
  }

  public boolean header() {
    return header;
  }

  public List<String> columns() {
    return columns;
  }

  public List<TaskSpec> tasks() {
    return tasks;
  }

  /** Fields in token order: categorical and time, then multi-valued, then numeric. */
  public List<FieldSpec> fields() {
    return fields;
  }

  /** The spec as it was written (stored in snapshots). */
  public String json() {
    return json;
  }

  public int count(FieldKind kind) {
    int n = 0;
    for (FieldSpec f : fields) {
      if (f.kind() == kind) {
        n++;
      }
    }
    return n;
  }

  /** The model's view of one example. */
  public InputLayout layout() {
    int maxMulti = 0;
    for (FieldSpec f : fields) {
      if (f.kind() == FieldKind.MULTI) {
        maxMulti = Math.max(maxMulti, f.maxValues());
      }
    }
    return new InputLayout(
        count(FieldKind.CATEGORICAL) + count(FieldKind.TIME),
        count(FieldKind.MULTI),
        maxMulti,
        count(FieldKind.NUMERIC));
  }
}
