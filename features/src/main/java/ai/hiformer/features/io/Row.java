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

  /**
   * Whether the record holds the column as a number already (a typed event), so that {@link
   * #number} can be read without a round trip through text; false by default (readers of text
   * files).
   */
  default boolean hasNumber(String column) {
    return false;
  }

  /** The column's number; only called when {@link #hasNumber} is true. */
  default double number(String column) {
    throw new UnsupportedOperationException(column + " is not held as a number");
  }

  /** Where the row came from, for error messages (e.g. {@code file.tsv:1234}). */
  String origin();
}
