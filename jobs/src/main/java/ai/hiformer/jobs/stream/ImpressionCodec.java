package ai.hiformer.jobs.stream;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.features.spec.FieldSpec;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A waiting impression as the label join keeps it: only the columns the model's spec reads, each by
 * its position in the spec rather than by name, and the event time; not the model id or request id
 * (the join's keys) or labels (the join's bits). About a third of an Avro event's size and no
 * object graph in state.
 *
 * <p>Layout: event time (8 bytes, big-endian), then per spec column a tag byte (bit 0: text, bit 1:
 * number, bit 2: list) followed by what it says: a text as a varint length and UTF-8 bytes, a
 * number as 8 bytes, a list as a varint count and its texts. A column in both the categorical and
 * the numeric maps keeps only its text, which is what {@link EventRow} reads first.
 *
 * <p>Not thread-safe (a scratch buffer is reused across calls).
 */
public final class ImpressionCodec {
  static final int TEXT = 1;
  static final int NUMBER = 2;
  static final int LIST = 4;

  private final String[] columns;
  private byte[] buffer = new byte[256];
  private int size;

  ImpressionCodec(FeatureSpec spec) {
    this(columnsOf(spec));
  }

  ImpressionCodec(String[] columns) {
    this.columns = columns.clone();
  }

  /** The columns {@code spec} reads, in the order an encoded impression holds them. */
  public static String[] columnsOf(FeatureSpec spec) {
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (FieldSpec f : spec.fields()) {
      names.add(f.column());
    }
    return names.toArray(new String[0]);
  }

  /**
   * The impression's bytes (a new array of exactly their length), or those it carries already
   * ({@link #withColumnsEncoded}).
   */
  byte[] encode(ValidEvent e) {
    if (e.impression != null) {
      return e.impression;
    }
    size = 0;
    writeLong(e.eventTimeMillis);
    for (String column : columns) {
      String text = e.categorical == null ? null : e.categorical.get(column);
      Double number = text != null || e.numeric == null ? null : e.numeric.get(column);
      List<String> list = e.multi == null ? null : e.multi.get(column);
      int tag =
          (text != null ? TEXT : 0) | (number != null ? NUMBER : 0) | (list != null ? LIST : 0);
      ensure(1);
      buffer[size++] = (byte) tag;
      if (text != null) {
        writeText(text);
      }
      if (number != null) {
        writeLong(Double.doubleToRawLongBits(number));
      }
      if (list != null) {
        writeVarint(list.size());
        for (String v : list) {
          writeText(v);
        }
      }
    }
    return Arrays.copyOf(buffer, size);
  }

  /**
   * {@code e} with its columns as {@link #encode} writes them, in place of its maps, which become
   * null (its ids, time and labels stay): how a decoded event crosses the job's network edges and
   * waits in the join. Flink copies three maps of strings field by field across an edge, and the
   * scorer and the learner read the bytes in place ({@link ImpressionRow}); columns outside the
   * spec are dropped, as the model never reads them.
   */
  ValidEvent withColumnsEncoded(ValidEvent e) {
    e.impression = encode(e);
    e.categorical = null;
    e.numeric = null;
    e.multi = null;
    return e;
  }

  /** The event time an encoded impression carries (its first 8 bytes). */
  static long eventTime(byte[] bytes) {
    return readLong(bytes, new int[] {0});
  }

  /**
   * The impression again as an event of {@code modelId} and {@code requestId}, without labels (the
   * caller sets them).
   */
  ValidEvent decode(String modelId, String requestId, byte[] bytes) {
    // One parser of the layout: ImpressionRow's, here copied into the event's maps.
    ImpressionRow row = new ImpressionRow(columns).reset(bytes, requestId);
    ValidEvent e = new ValidEvent();
    e.modelId = modelId;
    e.requestId = requestId;
    e.eventTimeMillis = row.eventTimeMillis();
    e.categorical = new HashMap<>();
    e.numeric = new HashMap<>();
    e.multi = new HashMap<>();
    for (int c = 0; c < columns.length; c++) {
      if (row.textAt(c) != null) {
        e.categorical.put(columns[c], row.textAt(c));
      }
      if (row.hasNumberAt(c)) {
        e.numeric.put(columns[c], row.numberAt(c));
      }
      if (row.listAt(c) != null) {
        e.multi.put(columns[c], row.listAt(c));
      }
    }
    e.labels = Map.of();
    return e;
  }

  private void ensure(int more) {
    if (size + more > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
    }
  }

  private void writeLong(long v) {
    ensure(8);
    for (int shift = 56; shift >= 0; shift -= 8) {
      buffer[size++] = (byte) (v >>> shift);
    }
  }

  private void writeVarint(int v) {
    ensure(5);
    while ((v & ~0x7F) != 0) {
      buffer[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buffer[size++] = (byte) v;
  }

  /**
   * A varint byte count, then the UTF-8 bytes. ASCII text (ids, most values) is copied into the
   * buffer as it is checked, with no array of its own; other text takes {@link String#getBytes}.
   */
  private void writeText(String s) {
    int n = s.length();
    int start = size;
    writeVarint(n);
    ensure(n);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        size = start;
        writeUtf8(s);
        return;
      }
      buffer[size + i] = (byte) c;
    }
    size += n;
  }

  private void writeUtf8(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    writeVarint(utf8.length);
    ensure(utf8.length);
    System.arraycopy(utf8, 0, buffer, size, utf8.length);
    size += utf8.length;
  }

  static long readLong(byte[] b, int[] at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at[0]++] & 0xFF);
    }
    return v;
  }

  static int readVarint(byte[] b, int[] at) {
    int v = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b[at[0]++];
      v |= (x & 0x7F) << shift;
      if (x >= 0) {
        return v;
      }
    }
  }

  static String readText(byte[] b, int[] at) {
    int n = readVarint(b, at);
    String s = new String(b, at[0], n, StandardCharsets.UTF_8);
    at[0] += n;
    return s;
  }
}
