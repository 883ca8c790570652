package ai.hiformer.jobs.stream;

import ai.hiformer.features.io.Row;
import java.util.List;

/**
 * A validated event seen as a feature row: a column is looked up in the categorical map, then the
 * numeric map (read as a number, without a round trip through text); multi-valued columns come from
 * the multi map; {@code eventTime} is the event time in epoch seconds.
 */
public final class EventRow implements Row {
  private ValidEvent event;
  private String origin;

  public EventRow reset(ValidEvent event, String origin) {
    this.event = event;
    this.origin = origin;
    return this;
  }

  @Override
  public String text(String column) {
    String v = event.categorical.get(column);
    if (v != null) {
      return v;
    }
    Double d = event.numeric.get(column);
    if (d != null) {
      return numberText(d);
    }
    if (column.equals("eventTime")) {
      return Long.toString(Math.floorDiv(event.eventTimeMillis, 1000));
    }
    return null;
  }

  /** A number as the text a reader of text sees: whole numbers without a fraction. */
  static String numberText(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  @Override
  public boolean hasNumber(String column) {
    return !event.categorical.containsKey(column) && event.numeric.containsKey(column);
  }

  @Override
  public double number(String column) {
    return event.numeric.get(column);
  }

  @Override
  public List<String> list(String column) {
    return event.multi.get(column);
  }

  @Override
  public String origin() {
    return origin;
  }
}
