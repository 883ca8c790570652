package ai.hiformer.jobs.stream;

import ai.hiformer.features.io.Row;
import ai.hiformer.schemas.Event;
import java.util.List;

/**
 * An Avro {@link Event} seen as a feature row: a column is looked up in the categorical map, then the
 * numeric map; multi-valued columns come from the multi map; {@code eventTime} is the event time in
 * epoch seconds.
 */
public final class EventRow implements Row {
  private Event event;
  private String origin;

  public EventRow reset(Event event, String origin) {
    this.event = event;
    this.origin = origin;
    return this;
  }

  @Override
  public String text(String column) {
    String v = event.getCategorical().get(column);
    if (v != null) {
      return v;
    }
    Double d = event.getNumeric().get(column);
    if (d != null) {
      return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : Double.toString(d);
    }
    if (column.equals("eventTime")) {
      return Long.toString(event.getEventTime().getEpochSecond());
    }
    return null;
  }

  @Override
  public List<String> list(String column) {
    return event.getMulti().get(column);
  }

  @Override
  public String origin() {
    return origin;
  }
}
