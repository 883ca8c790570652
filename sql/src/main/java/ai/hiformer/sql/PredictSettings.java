package ai.hiformer.sql;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * What {@code CREATE MODEL} said, as plain values the planner ships with the predict function.
 *
 * @param inputs the INPUT columns' names, in order
 * @param inputKinds how each INPUT column is read ({@link InputKind}), in the same order
 * @param outputs the OUTPUT columns' names: task names and {@code model_version}
 */
record PredictSettings(
    String snapshots,
    String modelId,
    int reloadSeconds,
    List<String> inputs,
    List<InputKind> inputKinds,
    List<String> outputs)
    implements Serializable {

  /** The INPUT column types the model reads, by Flink's type root. */
  enum InputKind {
    TEXT,
    INT,
    LONG,
    FLOAT,
    DOUBLE,
    BOOLEAN,
    STRINGS;

    private static final Map<String, InputKind> BY_TYPE_ROOT =
        Map.of(
            "CHAR", TEXT,
            "VARCHAR", TEXT,
            "INTEGER", INT,
            "BIGINT", LONG,
            "FLOAT", FLOAT,
            "DOUBLE", DOUBLE,
            "BOOLEAN", BOOLEAN);

    /** The kind of a column of type {@code typeRoot} (an ARRAY's element type given apart). */
    static InputKind of(String column, String typeRoot, String elementTypeRoot) {
      InputKind k =
          typeRoot.equals("ARRAY") && BY_TYPE_ROOT.get(elementTypeRoot) == TEXT
              ? STRINGS
              : BY_TYPE_ROOT.get(typeRoot);
      if (k == null) {
        throw new IllegalArgumentException(
            "invalid INPUT column "
                + column
                + " "
                + typeRoot
                + "; allowed: STRING, INT, BIGINT, FLOAT, DOUBLE, BOOLEAN, ARRAY<STRING>");
      }
      return k;
    }

    boolean numeric() {
      return this == INT || this == LONG || this == FLOAT || this == DOUBLE;
    }
  }

  PredictSettings {
    inputs = List.copyOf(inputs);
    inputKinds = List.copyOf(inputKinds);
    outputs = List.copyOf(outputs);
  }
}
