package ai.hiformer.jobs.stream;

import ai.hiformer.features.io.Row;
import ai.hiformer.jobs.api.EventMapping;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.WireCodec;
import java.util.Map;

/** The streaming job's validated events for the model operator (decoded already; read in place). */
public final class ValidEventMapping implements EventMapping<ValidEvent> {
  private static final long serialVersionUID = 2L;

  private final String[] impressionColumns;
  private transient EventRow row;
  private transient ImpressionRow impressionRow;
  private transient WireCodec<Event> codec;

  /**
   * For events that may include joined examples, whose columns travel as the label join's bytes of
   * {@code impressionColumns} ({@link ImpressionCodec#columnsOf} of the job's spec).
   */
  public ValidEventMapping(String[] impressionColumns) {
    this.impressionColumns = impressionColumns.clone();
  }

  /** For events that carry their columns as maps (no joined examples). */
  public ValidEventMapping() {
    this(new String[0]);
  }

  @Override
  public String modelId(ValidEvent v) {
    return v.modelId;
  }

  @Override
  public String requestId(ValidEvent v) {
    return v.requestId;
  }

  @Override
  public long eventTimeMillis(ValidEvent v) {
    return v.eventTimeMillis;
  }

  @Override
  public Row features(ValidEvent v) {
    if (v.impression != null) {
      if (impressionRow == null) {
        if (impressionColumns.length == 0) {
          throw new IllegalStateException(
              "a joined example reached a mapping made without the spec's columns: construct"
                  + " ValidEventMapping with ImpressionCodec.columnsOf(spec)");
        }
        impressionRow = new ImpressionRow(impressionColumns);
      }
      return impressionRow.reset(v.impression, v.requestId);
    }
    if (row == null) {
      row = new EventRow();
    }
    return row.reset(v, v.requestId);
  }

  @Override
  public Map<String, Double> labels(ValidEvent v) {
    return v.labels;
  }

  @Override
  public boolean score(ValidEvent v) {
    return !v.trainOnly;
  }

  @Override
  public boolean latePositive(ValidEvent v) {
    return v.latePositive;
  }

  /** Re-encoded: only a rejection after validation needs the bytes, which validation makes rare. */
  @Override
  public byte[] payload(ValidEvent v) {
    if (codec == null) {
      codec = WireCodec.events();
    }
    if (v.impression != null) {
      ValidEvent expanded =
          new ImpressionCodec(impressionColumns).decode(v.modelId, v.requestId, v.impression);
      expanded.labels = v.labels;
      return codec.encode(expanded.toEvent());
    }
    return codec.encode(v.toEvent());
  }
}
