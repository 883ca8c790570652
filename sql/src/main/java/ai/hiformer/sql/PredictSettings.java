package ai.hiformer.sql;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * What {@code CREATE MODEL} said, as plain values the planner ships with the predict function.
 *
 * @param snapshots the folder of the job's snapshots, or null: none followed
 * @param updatesTopic the job's update topic, or null: none followed (at least one of the two)
 * @param kafka the Kafka consumer properties for the update topic (the {@code properties.*} options
 *     without their prefix)
 * @param waitSeconds how long the function waits at start-up for the first update of the model
 * @param inputs the INPUT columns' names, in order
 * @param inputKinds how each INPUT column is read ({@link InputKind}), in the same order
 * @param outputs the OUTPUT columns' names: task names and {@code model_version}
 */
record PredictSettings(
    String snapshots,
    String updatesTopic,
    Map<String, String> kafka,
    int waitSeconds,
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
    if (snapshots == null && updatesTopic == null) {
      throw new IllegalArgumentException(
          "CREATE MODEL ... WITH: set 'snapshots' (the job's snapshot.dir), 'updates-topic' (its"
              + " topics.model-updates, with 'properties.bootstrap.servers'), or both");
    }
    if (updatesTopic != null && !kafka.containsKey("bootstrap.servers")) {
      throw new IllegalArgumentException(
          "CREATE MODEL ... WITH: 'updates-topic' needs 'properties.bootstrap.servers'");
    }
    kafka = Map.copyOf(kafka);
    inputs = List.copyOf(inputs);
    inputKinds = List.copyOf(inputKinds);
    outputs = List.copyOf(outputs);
  }
}
