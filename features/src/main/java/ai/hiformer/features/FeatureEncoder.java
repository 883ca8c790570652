package ai.hiformer.features;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.features.spec.FieldKind;
import ai.hiformer.features.spec.FieldSpec;
import ai.hiformer.features.spec.TaskSpec;
import ai.hiformer.features.vocab.Vocabulary;
import ai.hiformer.model.Batch;
import ai.hiformer.model.InputLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns raw rows into model inputs, in stream order, following a {@link FeatureSpec}: the per-field
 * transforms, the vocabularies (ids assigned in order of first appearance) and the online numeric
 * statistics. Everything it learns from the stream (vocabularies, statistics) is its state;
 * encoding the same rows in the same order always gives the same ids.
 *
 * <p>A row is validated whole before any state changes, so a rejected row leaves no trace: a {@link
 * BadRowException} names the field and the problem (unparseable or non-finite number, bad label).
 */
public final class FeatureEncoder {
  private final FeatureSpec spec;
  private final InputLayout layout;
  private final List<FieldSpec> single = new ArrayList<>();
  private final List<FieldSpec> multi = new ArrayList<>();
  private final List<FieldSpec> numeric = new ArrayList<>();
  final Vocabulary[] vocabularies; // single fields, then multi fields
  final RunningStats[] stats; // per numeric field
  // Phase-one scratch: the parsed row, before any state changes.
  private final String[] singleKeys;
  private final List<List<String>> multiKeys = new ArrayList<>();
  private final double[] numValues;
  private final boolean[] numMissing;
  private final double[] labels;
  private final boolean[] labelPresent;
  long position;
  long truncatedValues;

  /**
   * Receives row recycling events: field index (token order, single then multi), row id,
   * generation.
   */
  public interface RecycleListener {
    void recycled(int field, int id, long generation);
  }

  public FeatureEncoder(FeatureSpec spec, RecycleListener recycleListener) {
    this(spec, null, null, recycleListener);
  }

  /**
   * With {@code sharedVocabularies} and {@code sharedStats} null, this encoder's own, else those (a
   * view).
   */
  private FeatureEncoder(
      FeatureSpec spec,
      Vocabulary[] sharedVocabularies,
      RunningStats[] sharedStats,
      RecycleListener recycleListener) {
    this.spec = spec;
    this.layout = spec.layout();
    for (FieldSpec f : spec.fields()) {
      switch (f.kind()) {
        case CATEGORICAL, TIME -> single.add(f);
        case MULTI -> multi.add(f);
        case NUMERIC -> numeric.add(f);
        default -> throw new IllegalStateException();
      }
    }
    vocabularies =
        sharedVocabularies != null
            ? sharedVocabularies
            : new Vocabulary[single.size() + multi.size()];
    for (int i = 0; sharedVocabularies == null && i < vocabularies.length; i++) {
      FieldSpec f = i < single.size() ? single.get(i) : multi.get(i - single.size());
      int field = i;
      vocabularies[i] =
          Vocabulary.create(
              f.embedding(),
              recycleListener == null
                  ? null
                  : (id, generation) -> recycleListener.recycled(field, id, generation));
    }
    stats = sharedStats != null ? sharedStats : new RunningStats[numeric.size()];
    for (int i = 0; sharedStats == null && i < stats.length; i++) {
      stats[i] = new RunningStats();
    }
    singleKeys = new String[single.size()];
    for (int i = 0; i < multi.size(); i++) {
      multiKeys.add(new ArrayList<>());
    }
    numValues = new double[numeric.size()];
    numMissing = new boolean[numeric.size()];
    labels = new double[spec.tasks().size()];
    labelPresent = new boolean[spec.tasks().size()];
  }

  /**
   * An encoder for scoring on another thread: it reads this encoder's vocabularies and numeric
   * statistics (shared, not copied) through its own scratch buffers. Only {@link #encodeReadOnly}
   * may be called on it, and nothing may change this encoder's state while views of it encode.
   */
  public FeatureEncoder readOnlyView() {
    return new FeatureEncoder(spec, vocabularies, stats, null);
  }

  public FeatureSpec spec() {
    return spec;
  }

  public InputLayout layout() {
    return layout;
  }

  public int tasks() {
    return spec.tasks().size();
  }

  /** The vocabulary of field i in token order (single-token fields, then multi-valued ones). */
  public Vocabulary vocabulary(int i) {
    return vocabularies[i];
  }

  /**
   * Values evicted from every vocabulary (capacity or TTL) since this encoder was created or
   * restored.
   */
  public long vocabularyEvictions() {
    long n = 0;
    for (Vocabulary v : vocabularies) {
      n += v.evictions();
    }
    return n;
  }

  /**
   * The rows embedding table {@code t} of a model over this encoder's layout must hold: every id
   * its field's exact vocabulary has handed out, or 0 for a hashed field (its table is sized by its
   * buckets). A model has one table per field in token order, once per member for a blend, so table
   * {@code t} reads field {@code t % fields}.
   */
  public int rowsNeededByTable(int t) {
    Vocabulary v = vocabularies[t % (layout.nCat() + layout.nMulti())];
    return v instanceof ai.hiformer.features.vocab.ExactVocabulary ? v.rowCount() : 0;
  }

  /** The name of the field whose vocabulary is {@link #vocabulary(int) vocabulary(i)}. */
  public String vocabularyField(int i) {
    return (i < single.size() ? single.get(i) : multi.get(i - single.size())).name();
  }

  /** Rows encoded so far (the stream position of the next row). */
  public long position() {
    return position;
  }

  /** Multi-valued entries dropped beyond a field's {@code max_values}. */
  public long truncatedValues() {
    return truncatedValues;
  }

  /**
   * Checks that a row would encode, changing nothing (no ids, statistics or position).
   *
   * @throws BadRowException naming the field and the problem
   */
  public void validate(Row row) throws BadRowException {
    parse(row, false);
  }

  /**
   * Encodes a row for serving: known values get their ids, unseen ones the OOV id 0, numeric
   * statistics are read but not updated, labels are not read, and the stream position does not
   * move. Only the recency order of exact vocabularies may change (a lookup is a use).
   */
  public void encodeReadOnly(Row row, Batch batch, int b) throws BadRowException {
    parse(row, false);
    fill(batch, b, false, -1);
  }

  /**
   * Encodes one row into row {@code b} of the batch (ids, values, labels), advancing the stream
   * position.
   */
  public void encode(Row row, Batch batch, int b) throws BadRowException {
    encode(row, batch, b, true);
  }

  /**
   * As {@link #encode(Row, Batch, int)}; with {@code readLabels} false the row's label columns are
   * not read and every label mask is 0 (the caller supplies labels, e.g. from a label stream).
   */
  public void encode(Row row, Batch batch, int b, boolean readLabels) throws BadRowException {
    parse(row, readLabels);
    fill(batch, b, true, position++);
    for (int k = 0; k < labels.length; k++) {
      batch.label[b * batch.tasks + k] = labels[k];
      batch.labelMask[b * batch.tasks + k] = labelPresent[k] ? 1 : 0;
    }
  }

  /**
   * Phase two: ids and values of the parsed row into row {@code b}. With {@code learn}, new values
   * get ids (at stream position {@code pos}) and the numeric statistics take the values in;
   * without, unknown values map to 0 and nothing changes.
   */
  private void fill(Batch batch, int b, boolean learn, long pos) {
    batch.clearRow(b);
    for (int i = 0; i < single.size(); i++) {
      batch.cat[b * batch.nCat + i] =
          learn ? vocabularies[i].idFor(singleKeys[i], pos) : vocabularies[i].lookup(singleKeys[i]);
    }
    for (int i = 0; i < multi.size(); i++) {
      List<String> keys = multiKeys.get(i);
      Vocabulary v = vocabularies[single.size() + i];
      int base = (b * batch.nMulti + i) * batch.maxMulti;
      for (int k = 0; k < keys.size(); k++) {
        batch.multi[base + k] = learn ? v.idFor(keys.get(k), pos) : v.lookup(keys.get(k));
      }
    }
    for (int i = 0; i < numeric.size(); i++) {
      boolean missing = numMissing[i];
      batch.num[b * batch.nNum + i] =
          missing ? 0 : transform(numeric.get(i), stats[i], numValues[i], learn);
      batch.miss[b * batch.nNum + i] = missing ? 1 : 0;
    }
  }

  private static double transform(FieldSpec f, RunningStats s, double x, boolean learn) {
    double v = x * f.scale();
    double t =
        switch (f.transform()) {
          case NONE -> v;
          case LOG1P -> v > 0 ? Math.log1p(v) : 0.0;
          case ZSCORE -> {
            double z = s.zscore(v);
            if (learn) {
              s.add(v);
            }
            yield z;
          }
        };
    return Math.min(f.clipHi(), Math.max(f.clipLo(), t));
  }

  /** Phase one: read and validate every value of the row into scratch; no state changes. */
  private void parse(Row row, boolean readLabels) throws BadRowException {
    for (int i = 0; i < single.size(); i++) {
      FieldSpec f = single.get(i);
      singleKeys[i] =
          f.kind() == FieldKind.TIME
              ? FieldValues.timeKey(f, row)
              : FieldValues.categoricalKey(f, row.text(f.column()));
    }
    for (int i = 0; i < multi.size(); i++) {
      FieldSpec f = multi.get(i);
      List<String> out = multiKeys.get(i);
      out.clear();
      List<String> values = row.list(f.column());
      if (values == null) {
        String text = row.text(f.column());
        if (text != null && !text.isEmpty()) {
          int start = 0;
          int idx;
          String sep = f.separator();
          while ((idx = text.indexOf(sep, start)) >= 0) {
            addMulti(out, text.substring(start, idx), f);
            start = idx + sep.length();
          }
          addMulti(out, text.substring(start), f);
        }
      } else {
        for (String v : values) {
          addMulti(out, v, f);
        }
      }
    }
    for (int i = 0; i < numeric.size(); i++) {
      FieldSpec f = numeric.get(i);
      if (row.hasNumber(f.column())) {
        double v = row.number(f.column());
        if (!Double.isFinite(v)) {
          throw new BadRowException("field '" + f.name() + "': non-finite value " + v);
        }
        numMissing[i] = false;
        numValues[i] = v;
        continue;
      }
      String text = row.text(f.column());
      if (text == null || text.isEmpty()) {
        numMissing[i] = true;
        continue;
      }
      numMissing[i] = false;
      numValues[i] = FieldValues.parseFinite(text, "field '" + f.name() + "'");
    }
    List<TaskSpec> tasks = spec.tasks();
    for (int k = 0; k < tasks.size(); k++) {
      TaskSpec t = tasks.get(k);
      String text = readLabels ? row.text(t.column()) : null;
      if (text == null || text.isEmpty()) {
        labelPresent[k] = false;
        labels[k] = 0;
        continue;
      }
      double v = FieldValues.parseFinite(text, "label of task " + t.name());
      if (t.threshold() != null) {
        labels[k] = v >= t.threshold() ? 1 : 0;
      } else if (v == 0 || v == 1) {
        labels[k] = v;
      } else {
        throw new BadRowException(
            "label of task '" + t.name() + "': expected 0 or 1, got '" + text + "'");
      }
      labelPresent[k] = true;
    }
  }

  private void addMulti(List<String> out, String v, FieldSpec f) {
    if (v.isEmpty()) {
      return;
    }
    if (out.size() >= f.maxValues()) {
      truncatedValues++;
      return;
    }
    out.add(v);
  }

  /** Writes the state learned from the stream: position, vocabularies, numeric statistics. */
  public byte[] stateBytes() {
    return EncoderState.write(this, false);
  }

  /**
   * {@link #stateBytes()} without the exact vocabularies' values, which are saved one by one
   * through {@link #drainUnsavedEntries}; restored by {@link #restoreState(byte[], Iterable)}.
   */
  public byte[] headBytes() {
    return EncoderState.write(this, true);
  }

  /** Where vocabulary entries saved one by one go: key {@code vocabulary << 32 | id}. */
  @FunctionalInterface
  public interface EntrySink {
    void put(long key, byte[] value) throws Exception;
  }

  /** Saves the vocabulary entries changed since the last call; returns how many. */
  public int drainUnsavedEntries(EntrySink sink) throws Exception {
    int n = 0;
    for (int i = 0; i < vocabularies.length; i++) {
      long high = (long) i << 32;
      n += vocabularies[i].drainUnsaved((id, value) -> sink.put(high | id, value));
    }
    return n;
  }

  /**
   * Restores {@link #headBytes()} and every entry {@link #drainUnsavedEntries} saved since the
   * encoder began.
   */
  public void restoreState(byte[] head, Iterable<java.util.Map.Entry<Long, byte[]>> entries) {
    EncoderState.restore(this, head, entries);
  }

  /** Restores {@link #stateBytes()} into this encoder (built from the same spec). */
  public void restoreState(byte[] state) {
    EncoderState.restore(this, state, null);
  }
}
