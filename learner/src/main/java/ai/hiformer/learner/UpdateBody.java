package ai.hiformer.learner;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.snapshot.ChangedRows;
import ai.hiformer.features.snapshot.DenseWeights;
import ai.hiformer.features.vocab.Vocabulary;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.EmbeddingTable;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link ModelUpdate}'s body, after its header: per table its rows (id, then float32 values), per
 * vocabulary the owners (id, live, fingerprint), then the dense weights when the header says so.
 */
final class UpdateBody {
  private UpdateBody() {}

  /** What an update carries. */
  enum Scope {
    /** The rows and owners changed since the previous update. */
    CHANGES,
    /** Every row and owner. */
    FULL,
    /** One base slice's share of the rows and owners. */
    SLICE
  }

  /** Writes the body of an update of {@code scope} ({@code slice} for {@link Scope#SLICE}). */
  static void write(
      DataOutputStream out,
      CtrModel model,
      FeatureEncoder encoder,
      Scope scope,
      BaseSlices.Slice slice,
      boolean dense)
      throws IOException {
    boolean full = scope == Scope.FULL;
    List<EmbeddingTable> tables = model.tables();
    out.writeInt(tables.size());
    double[] row = new double[0];
    java.nio.ByteBuffer rowBytes = java.nio.ByteBuffer.allocate(0);
    for (int ti = 0; ti < tables.size(); ti++) {
      EmbeddingTable t = tables.get(ti);
      row = row.length >= t.dim() ? row : new double[t.dim()];
      rowBytes =
          rowBytes.capacity() >= 4 * t.dim() ? rowBytes : java.nio.ByteBuffer.allocate(4 * t.dim());
      out.writeInt(t.dim());
      if (scope == Scope.CHANGES) {
        int[] ids =
            Arrays.stream(ChangedRows.of(t).drain(ChangedRows.Reader.MODEL_UPDATES))
                .filter(id -> id != 0)
                .toArray(); // row 0 is always zero
        out.writeInt(ids.length);
        for (int id : ids) {
          writeRow(out, t, id, row, rowBytes);
        }
      } else { // a range of ids (row 0 is always zero): every row, or the slice's share
        if (full) {
          ChangedRows.of(t).drain(ChangedRows.Reader.MODEL_UPDATES);
        }
        int from = full ? 1 : Math.max(1, slice.tableStart(ti));
        int to = full ? t.rows() : Math.min(t.rows(), slice.tableEnd(ti));
        out.writeInt(Math.max(0, to - from));
        for (int id = from; id < to; id++) {
          writeRow(out, t, id, row, rowBytes);
        }
      }
    }
    int fields = encoder.layout().nCat() + encoder.layout().nMulti();
    out.writeInt(fields);
    for (int f = 0; f < fields; f++) {
      Vocabulary v = encoder.vocabulary(f);
      ByteArrayOutputStream part = new ByteArrayOutputStream();
      DataOutputStream p = new DataOutputStream(part);
      int[] n = {0};
      Vocabulary.OwnerSink sink =
          (id, live, fp) -> {
            try {
              p.writeInt(id);
              p.writeByte(live ? 1 : 0);
              p.writeLong(fp);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            n[0]++;
          };
      switch (scope) {
        case CHANGES -> v.drainUnpublished(sink);
        case FULL -> {
          v.drainUnpublished((id, live, fp) -> {});
          v.forEachOwner(sink);
        }
        case SLICE -> v.forEachOwner(slice.vocabularyStart(f), slice.vocabularyEnd(f), sink);
      }
      out.writeInt(n[0]);
      part.writeTo(out);
    }
    if (dense) {
      DenseWeights.write(model, out);
    }
  }

  /** Reads a body into a replica's model and encoder ({@code hasDense}: from the header). */
  static void read(DataInputStream in, boolean hasDense, CtrModel model, FeatureEncoder encoder)
      throws IOException {
    List<EmbeddingTable> tables = model.tables();
    if (in.readInt() != tables.size()) {
      throw new IllegalArgumentException(
          "model update: table count does not match the replica's model");
    }
    double[] row = new double[0];
    java.nio.ByteBuffer rowBytes = java.nio.ByteBuffer.allocate(0);
    for (EmbeddingTable t : tables) {
      int dim = in.readInt();
      int n = in.readInt();
      if (dim != t.dim() || n < 0 || (long) n * (4 + 4L * dim) > in.available()) {
        throw new IllegalArgumentException(
            "model update: table "
                + t.name()
                + " of dim "
                + dim
                + " with "
                + n
                + " rows does not fit");
      }
      row = row.length >= dim ? row : new double[dim];
      rowBytes = rowBytes.capacity() >= 4 * dim ? rowBytes : java.nio.ByteBuffer.allocate(4 * dim);
      for (int i = 0; i < n; i++) {
        int id = in.readInt();
        if (id <= 0) {
          throw new IllegalArgumentException("model update: row id " + id);
        }
        ai.hiformer.features.snapshot.BigEndianArrays.readFloats(in, row, 0, dim, rowBytes);
        t.ensureRow(id);
        t.writeRow(id, row, 0);
      }
    }
    int fields = in.readInt();
    if (fields != encoder.layout().nCat() + encoder.layout().nMulti()) {
      throw new IllegalArgumentException(
          "model update: vocabulary count does not match the replica's spec");
    }
    for (int f = 0; f < fields; f++) {
      Vocabulary v = encoder.vocabulary(f);
      for (int i = 0, n = in.readInt(); i < n; i++) {
        int id = in.readInt();
        boolean live = in.readByte() != 0;
        long fp = in.readLong();
        if (live) {
          v.assign(id, fp);
        } else {
          v.release(id);
        }
      }
    }
    if (hasDense) {
      DenseWeights.read(in, model, "model update");
    }
  }

  /**
   * Writes row {@code id} of {@code t}: its id, then its values as float32 ({@code row}: scratch of
   * t.dim(); {@code rowBytes}: of 4 t.dim() bytes).
   */
  private static void writeRow(
      DataOutputStream out, EmbeddingTable t, int id, double[] row, java.nio.ByteBuffer rowBytes)
      throws IOException {
    t.readRow(id, row, 0);
    out.writeInt(id);
    ai.hiformer.features.snapshot.BigEndianArrays.writeFloats(out, row, 0, t.dim(), rowBytes);
  }
}
