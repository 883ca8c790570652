package ai.hiformer.features.io;

import java.util.List;

/** One raw record as a reader delivers it, before any feature transform. */
public interface Row {
  /** The column's raw text, or null when the record has no such column or it is null. */
  String text(String column);

  /** The column's values when the record delivers a list (JSON arrays); null otherwise. */
  default List<String> list(String column) {
    return null;
  }

  /** Where the row came from, for error messages (e.g. {@code file.tsv:1234}). */
  String origin();
}
