package ai.hiformer.features;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.DatasetReader;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.io.RowSink;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.features.spec.FieldKind;
import ai.hiformer.features.spec.FieldSpec;
import ai.hiformer.model.Batch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A whole dataset prepared in stream order (online ids, docs/PROTOCOL.md §1.1), held in memory for
 * evaluation: row i is the i-th accepted record. Rejected records are counted with their reasons.
 */
public final class EncodedDataset {
  /** A row id handed to a new key after eviction, at stream position {@code position}. */
  public record Recycle(long position, int field, int id, long generation) {}

  private final FeatureSpec spec;
  private Batch rows;
  private int size;
  private final List<String> rejections = new ArrayList<>();
  private long rejected;
  private final List<Recycle> recycles = new ArrayList<>();
  private final int[] rowCounts;
  private final long truncated;
  private final FieldSpec timeField;
  private long[] eventTimes = new long[1 << 14];

  private EncodedDataset(FeatureSpec spec, DatasetReader reader) throws IOException {
    this.spec = spec;
    FeatureEncoder[] holder = new FeatureEncoder[1];
    FeatureEncoder encoder =
        new FeatureEncoder(
            spec,
            (field, id, generation) ->
                recycles.add(new Recycle(holder[0].position() - 1, field, id, generation)));
    holder[0] = encoder;
    timeField =
        spec.fields().stream().filter(f -> f.kind() == FieldKind.TIME).findFirst().orElse(null);
    rows = spec.layout().newBatch(1 << 14, spec.tasks().size());
    reader.read(
        new RowSink() {
          @Override
          public void accept(Row row) throws BadRowException {
            if (size == rows.capacity) {
              grow();
            }
            encoder.encode(row, rows, size);
            eventTimes[size] = eventTime(row);
            size++;
          }

          @Override
          public void rejected(String origin, String reason) {
            rejected++;
            if (rejections.size() < 20) {
              rejections.add(origin + ": " + reason);
            }
          }
        });
    rows.setSize(size);
    int fields = spec.layout().nCat() + spec.layout().nMulti();
    rowCounts = new int[fields];
    for (int f = 0; f < fields; f++) {
      rowCounts[f] = encoder.vocabulary(f).rowCount();
    }
    truncated = encoder.truncatedValues();
  }

  /** Reads and encodes the dataset at {@code data} as the spec describes. */
  public static EncodedDataset load(FeatureSpec spec, Path data) throws IOException {
    return new EncodedDataset(spec, DatasetReader.forSpec(spec, data));
  }

  /**
   * Encodes the rows {@code reader} hands over (a generated stream, rows held in memory), in its
   * order.
   */
  public static EncodedDataset read(FeatureSpec spec, DatasetReader reader) throws IOException {
    return new EncodedDataset(spec, reader);
  }

  private void grow() {
    Batch bigger = spec.layout().newBatch(rows.capacity * 2, spec.tasks().size());
    for (int i = 0; i < size; i++) {
      bigger.copyRow(rows, i, i);
    }
    rows = bigger;
    eventTimes = java.util.Arrays.copyOf(eventTimes, rows.capacity);
  }

  /**
   * The time of the row about to be row {@code size}: the column of the spec's first time field, in
   * its unit; a row without one takes the row before's time. Without a time field, row i is at i
   * seconds.
   */
  private long eventTime(Row row) {
    if (timeField == null) {
      return size * 1000L;
    }
    String text = row.text(timeField.column());
    try {
      long t = Long.parseLong(text.trim());
      return timeField.timeUnit().equals("milliseconds") ? t : t * 1000;
    } catch (RuntimeException e) {
      return size == 0 ? 0 : eventTimes[size - 1]; // the encoder read it as its "empty" value
    }
  }

  /**
   * Row {@code i}'s event time (ms since the epoch): its spec's first time field, or i seconds for
   * a spec without one ({@link #hasEventTimes()}).
   */
  public long eventTimeMillis(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException("row " + i + " of " + size);
    }
    return eventTimes[i];
  }

  /** Whether the rows' times are their own (a time field), not the synthetic i seconds. */
  public boolean hasEventTimes() {
    return timeField != null;
  }

  public FeatureSpec spec() {
    return spec;
  }

  public int size() {
    return size;
  }

  /** All rows, as one batch of {@link #size()} rows (read-only by convention). */
  public Batch rows() {
    return rows;
  }

  /** Copies rows [from, to) into {@code target} (rows 0..to-from-1) and sets its size. */
  public void fill(Batch target, int from, int to) {
    for (int i = from; i < to; i++) {
      target.copyRow(rows, i, i - from);
    }
    target.setSize(to - from);
  }

  public long rejected() {
    return rejected;
  }

  /** The first rejections with their origin and reason. */
  public List<String> rejections() {
    return List.copyOf(rejections);
  }

  public List<Recycle> recycles() {
    return List.copyOf(recycles);
  }

  /** Rows per field's table (one past the largest id), in token order. */
  public int[] rowCounts() {
    return rowCounts.clone();
  }

  public long truncatedValues() {
    return truncated;
  }

  /**
   * The checksum of docs/PROTOCOL.md §1.6: sha256 over one line per event, {@code label TAB cat ids
   * TAB … [TAB multi ids comma-joined, padding dropped] \n}.
   */
  public String idChecksum() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      StringBuilder sb = new StringBuilder(128);
      for (int i = 0; i < size; i++) {
        sb.setLength(0);
        sb.append((long) rows.label[i * rows.tasks]);
        for (int f = 0; f < rows.nCat; f++) {
          sb.append('\t').append(rows.cat[i * rows.nCat + f]);
        }
        for (int f = 0; f < rows.nMulti; f++) {
          sb.append('\t');
          int base = (i * rows.nMulti + f) * rows.maxMulti;
          boolean first = true;
          for (int k = 0; k < rows.maxMulti; k++) {
            int id = rows.multi[base + k];
            if (id != 0) {
              if (!first) {
                sb.append(',');
              }
              sb.append(id);
              first = false;
            }
          }
        }
        sb.append('\n');
        sha.update(sb.toString().getBytes(StandardCharsets.US_ASCII));
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Σ t over all events and numeric fields. */
  public double numericSum() {
    double s = 0;
    for (int i = 0; i < size * rows.nNum; i++) {
      s += rows.num[i];
    }
    return s;
  }

  /** Σ m over all events and numeric fields. */
  public long missingSum() {
    long s = 0;
    for (int i = 0; i < size * rows.nNum; i++) {
      s += (long) rows.miss[i];
    }
    return s;
  }

  public long positives() {
    long p = 0;
    for (int i = 0; i < size; i++) {
      p += (long) rows.label[i * rows.tasks];
    }
    return p;
  }
}
