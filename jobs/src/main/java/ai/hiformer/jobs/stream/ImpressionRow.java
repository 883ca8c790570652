package ai.hiformer.jobs.stream;

import ai.hiformer.features.io.Row;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An impression encoded by {@link ImpressionCodec} seen as a feature row, read as {@link EventRow}
 * reads an event (a column's text first, then its number; {@code eventTime} in epoch seconds). A
 * joined example reaches the learner as these bytes rather than as maps: no map is built, sent or
 * read back on the way from the join to the learner.
 *
 * <p>Each {@link #reset} parses the bytes once into arrays by column position. Not thread-safe;
 * reused across rows.
 */
public final class ImpressionRow implements Row {
  private final Map<String, Integer> position = new HashMap<>();
  private final String[] text;
  private final double[] number;
  private final boolean[] hasNumber;
  private final List<?>[] list;
  private long eventTimeMillis;
  private String origin;

  /** A row over impressions of {@code columns} ({@link ImpressionCodec#columnsOf}). */
  public ImpressionRow(String[] columns) {
    for (int i = 0; i < columns.length; i++) {
      position.put(columns[i], i);
    }
    text = new String[columns.length];
    number = new double[columns.length];
    hasNumber = new boolean[columns.length];
    list = new List<?>[columns.length];
  }

  /** Points this row at {@code bytes}, an impression of this row's columns. */
  public ImpressionRow reset(byte[] bytes, String origin) {
    this.origin = origin;
    Arrays.fill(text, null);
    Arrays.fill(hasNumber, false);
    Arrays.fill(list, null);
    int[] at = {0};
    eventTimeMillis = ImpressionCodec.readLong(bytes, at);
    for (int c = 0; c < text.length; c++) {
      int tag = bytes[at[0]++];
      if ((tag & ImpressionCodec.TEXT) != 0) {
        text[c] = ImpressionCodec.readText(bytes, at);
      }
      if ((tag & ImpressionCodec.NUMBER) != 0) {
        number[c] = Double.longBitsToDouble(ImpressionCodec.readLong(bytes, at));
        hasNumber[c] = true;
      }
      if ((tag & ImpressionCodec.LIST) != 0) {
        int n = ImpressionCodec.readVarint(bytes, at);
        List<String> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          values.add(ImpressionCodec.readText(bytes, at));
        }
        list[c] = values;
      }
    }
    return this;
  }

  long eventTimeMillis() {
    return eventTimeMillis;
  }

  /** Column {@code c}'s text, or null. */
  String textAt(int c) {
    return text[c];
  }

  /** Whether column {@code c} holds a number (its text, if any, is read first). */
  boolean hasNumberAt(int c) {
    return hasNumber[c];
  }

  double numberAt(int c) {
    return number[c];
  }

  /** Column {@code c}'s values, or null. */
  @SuppressWarnings("unchecked")
  List<String> listAt(int c) {
    return (List<String>) list[c];
  }

  @Override
  public String text(String column) {
    Integer c = position.get(column);
    if (c == null) {
      return column.equals("eventTime")
          ? Long.toString(Math.floorDiv(eventTimeMillis, 1000))
          : null;
    }
    if (text[c] != null) {
      return text[c];
    }
    return hasNumber[c] ? EventRow.numberText(number[c]) : null;
  }

  @Override
  public boolean hasNumber(String column) {
    Integer c = position.get(column);
    return c != null && text[c] == null && hasNumber[c];
  }

  @Override
  public double number(String column) {
    return number[position.get(column)];
  }

  @Override
  public List<String> list(String column) {
    Integer c = position.get(column);
    return c == null ? null : listAt(c);
  }

  @Override
  public String origin() {
    return origin;
  }
}
