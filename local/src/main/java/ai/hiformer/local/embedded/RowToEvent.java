package ai.hiformer.local.embedded;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.features.spec.FieldKind;
import ai.hiformer.features.spec.FieldSpec;
import ai.hiformer.features.spec.TaskSpec;
import ai.hiformer.schemas.Event;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a dataset row into the Avro {@link Event} a producer would send, carrying the row's labels
 * (a replay of a logged dataset): the columns numeric fields read go to the numeric map,
 * multi-valued columns to the multi map, every other column the spec reads to the categorical map
 * as text.
 */
public final class RowToEvent {
  private final FeatureSpec spec;
  private final String modelId;
  private final Set<String> numericColumns = new HashSet<>();
  private final Map<String, String> multiColumns = new HashMap<>(); // column → separator
  private final Set<String> textColumns = new HashSet<>();
  private final FieldSpec timeField;

  public RowToEvent(FeatureSpec spec, String modelId) {
    this.spec = spec;
    this.modelId = modelId;
    FieldSpec time = null;
    for (FieldSpec f : spec.fields()) {
      switch (f.kind()) {
        case NUMERIC -> numericColumns.add(f.column());
        case MULTI -> multiColumns.put(f.column(), f.separator());
        default -> textColumns.add(f.column());
      }
      if (f.kind() == FieldKind.TIME && time == null) {
        time = f;
      }
    }
    textColumns.removeAll(numericColumns);
    timeField = time;
  }

  public Event convert(Row row, long index) throws BadRowException {
    Map<String, String> categorical = new HashMap<>();
    for (String c : textColumns) {
      String v = row.text(c);
      if (v != null) {
        categorical.put(c, v);
      }
    }
    Map<String, Double> numeric = new HashMap<>();
    for (String c : numericColumns) {
      String v = row.text(c);
      if (v != null && !v.isEmpty()) {
        try {
          numeric.put(c, Double.parseDouble(v.trim()));
        } catch (NumberFormatException e) {
          throw new BadRowException("column '" + c + "': unparseable number '" + v + "'");
        }
      }
    }
    Map<String, List<String>> multi = new HashMap<>();
    for (Map.Entry<String, String> c : multiColumns.entrySet()) {
      List<String> values = row.list(c.getKey());
      if (values == null) {
        String text = row.text(c.getKey());
        values = new ArrayList<>();
        if (text != null && !text.isEmpty()) {
          for (String s : text.split(java.util.regex.Pattern.quote(c.getValue()))) {
            if (!s.isEmpty()) {
              values.add(s);
            }
          }
        }
      }
      multi.put(c.getKey(), values);
    }
    Map<String, Double> labels = new HashMap<>();
    for (TaskSpec t : spec.tasks()) {
      String v = row.text(t.column());
      if (v == null || v.isEmpty()) {
        continue;
      }
      double x;
      try {
        x = Double.parseDouble(v.trim());
      } catch (NumberFormatException e) {
        throw new BadRowException(
            "label of task '" + t.name() + "': unparseable number '" + v + "'");
      }
      labels.put(t.name(), t.threshold() != null ? (x >= t.threshold() ? 1.0 : 0.0) : x);
    }
    Instant time = Instant.ofEpochMilli(System.currentTimeMillis());
    if (timeField != null && row.text(timeField.column()) != null) {
      try {
        long ts = Long.parseLong(row.text(timeField.column()).trim());
        time =
            timeField.timeUnit().equals("milliseconds")
                ? Instant.ofEpochMilli(ts)
                : Instant.ofEpochSecond(ts);
      } catch (NumberFormatException e) {
        throw new BadRowException("column '" + timeField.column() + "': unparseable timestamp");
      }
    }
    return Event.newBuilder()
        .setRequestId("r" + index)
        .setModelId(modelId)
        .setEventTime(time)
        .setCategorical(categorical)
        .setNumeric(numeric)
        .setMulti(multi)
        .setLabels(labels)
        .build();
  }
}
