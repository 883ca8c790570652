package ai.hiformer.learner;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.EmbeddingTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What a learner publishes for read-only scoring replicas: the embedding rows and vocabulary owners
 * changed since its previous update (or all of them: a full update, from which a new replica
 * starts), the dense weights when due, and its position: an epoch (chosen when the learner was
 * built or restored, later than any before it on this clock), a sequence within the epoch, and the
 * model version. A replica applies an incremental update only right after its predecessor in the
 * same epoch, and a full one of a newer epoch (or the same epoch, later sequence) at any time, so
 * an update published after a restore is never taken for one of before it.
 *
 * <p>Binary form ({@link #bytes()}, big-endian): {@code "HFU2"}, epoch, sequence, version (longs),
 * full, has-dense (bytes); a full update then carries what a reader needs to build the model from
 * nothing: the feature spec's JSON and the model configuration's properties ({@code int n, n ×
 * byte}, UTF-8, each); tables: {@code int T}, per table {@code int dim, int n, n × (int id,
 * float[dim])}; vocabularies: {@code int V}, per vocabulary {@code int n, n × (int id, byte live,
 * long fingerprint)}; when it has dense weights {@code int P, P × (int size, double[size])}; then
 * the CRC32C of all before it. Values only: replicas score, they do not train, so no optimiser
 * state travels. {@code "HFU1"} (the first format: no spec or configuration in full updates) is
 * still read.
 *
 * <p><b>Base slices</b> ({@code "HFU3"}): a full base spread over {@code count} updates, so that a
 * reader can join the update topic late without the learner publishing every row at once (tens of
 * megabytes at millions of rows, a stall for everyone sharing its cores). Slice {@code index}
 * carries the spec, the configuration and the dense weights, and the rows and owners of ids in its
 * share of each table and vocabulary, as they are at its sequence (that of the increment it
 * follows). A reader starts at a slice 0, then applies every increment and the slices 1 … count−1
 * in order; rows outside the slices seen so far are then either in a later slice (captured later,
 * so current) or created or changed after the cycle began (in an increment it applied). Layout: the
 * HFU2 header (full = 0, has-dense = 1), {@code int index, int count}, spec and configuration as in
 * a full update, then the body as above.
 */
public final class ModelUpdate {
  private static final int MAGIC_V1 = 0x48465531; // "HFU1"
  private static final int MAGIC = 0x48465532; // "HFU2"
  private static final int MAGIC_SLICE = 0x48465533; // "HFU3"
  private static final int HEADER = 30;
  private final byte[] bytes;
  private final int bodyOffset; // where the tables start
  private final String specJson; // full updates of HFU2, else null
  private final String modelConfig;
  private final long epoch;
  private final long sequence;
  private final long version;
  private final boolean full;
  private final int sliceIndex; // -1 unless a base slice
  private final int sliceCount;

  private ModelUpdate(
      byte[] bytes,
      int bodyOffset,
      String specJson,
      String modelConfig,
      long epoch,
      long sequence,
      long version,
      boolean full,
      int sliceIndex,
      int sliceCount) {
    this.bytes = bytes;
    this.bodyOffset = bodyOffset;
    this.specJson = specJson;
    this.modelConfig = modelConfig;
    this.epoch = epoch;
    this.sequence = sequence;
    this.version = version;
    this.full = full;
    this.sliceIndex = sliceIndex;
    this.sliceCount = sliceCount;
  }

  /** Whether it is one slice of a base spread over {@link #sliceCount()} updates. */
  public boolean slice() {
    return sliceIndex >= 0;
  }

  /** Which slice of its base (0 … count − 1); −1 unless {@link #slice()}. */
  public int sliceIndex() {
    return sliceIndex;
  }

  /** How many slices its base has; 0 unless {@link #slice()}. */
  public int sliceCount() {
    return sliceCount;
  }

  public long epoch() {
    return epoch;
  }

  public long sequence() {
    return sequence;
  }

  /** The model version (optimiser steps) the update brings a replica to. */
  public long version() {
    return version;
  }

  /** Whether it carries every row, owner and dense weight (a replica can start from it). */
  public boolean full() {
    return full;
  }

  /**
   * The feature spec (JSON) a full update or base slice was made with; null for an increment (or a
   * full update of HFU1).
   */
  public String specJson() {
    return specJson;
  }

  /**
   * The model configuration ({@code ModelConfig#toProperties}) of a full update; null as for {@link
   * #specJson}.
   */
  public String modelConfig() {
    return modelConfig;
  }

  /** The published form (what goes on the update topic), a copy of its own. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /**
   * The published form without a copy, for a caller that only reads it or hands it on (the learner
   * publishing every second; a full update is tens of megabytes): never change it.
   */
  public byte[] publishedBytes() {
    return bytes;
  }

  /** Parses and checks a published update. */
  public static ModelUpdate of(byte[] bytes) {
    return parse(bytes.clone(), true);
  }

  /**
   * As {@link #of}, without copying: the update keeps {@code bytes}, which nobody may change
   * afterwards (an array just received or assembled; a full update of a large model is tens of
   * megabytes).
   */
  public static ModelUpdate wrapping(byte[] bytes) {
    return parse(bytes, true);
  }

  /**
   * @param verify whether to check the checksum (not for bytes this process has just written and
   *     summed)
   */
  private static ModelUpdate parse(byte[] bytes, boolean verify) {
    if (bytes.length < 34) {
      throw new IllegalArgumentException("model update truncated: " + bytes.length + " bytes");
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
    if (verify) {
      CRC32C crc = new CRC32C();
      crc.update(bytes, 0, bytes.length - 4);
      if (b.getInt(bytes.length - 4) != (int) crc.getValue()) {
        throw new IllegalArgumentException("model update checksum mismatch (corrupt or truncated)");
      }
    }
    int magic = b.getInt(0);
    if (magic != MAGIC && magic != MAGIC_V1 && magic != MAGIC_SLICE) {
      throw new IllegalArgumentException(
          "not a model update of a version this build reads (HFU1, HFU2, HFU3)");
    }
    boolean slice = magic == MAGIC_SLICE;
    boolean full = !slice && bytes[28] != 0;
    b.position(HEADER);
    int index = -1;
    int count = 0;
    if (slice) {
      index = b.getInt();
      count = b.getInt();
      if (count < 1 || index < 0 || index >= count) {
        throw new IllegalArgumentException("model update: base slice " + index + " of " + count);
      }
    }
    String spec = null;
    String config = null;
    if (magic != MAGIC_V1 && (full || slice)) {
      spec = readText(b, "spec");
      config = readText(b, "model configuration");
    }
    return new ModelUpdate(
        bytes,
        b.position(),
        spec,
        config,
        b.getLong(4),
        b.getLong(12),
        b.getLong(20),
        full,
        index,
        count);
  }

  private static String readText(java.nio.ByteBuffer b, String what) {
    if (b.remaining() < 4) {
      throw new IllegalArgumentException("model update truncated in its " + what);
    }
    int n = b.getInt();
    if (n < 0 || n > b.remaining() - 4) {
      throw new IllegalArgumentException(
          "model update: " + what + " of " + n + " bytes does not fit");
    }
    byte[] text = new byte[n];
    b.get(text);
    return new String(text, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void writeText(DataOutputStream out, String text) throws IOException {
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  /**
   * Captures the rows and owners changed since the previous capture (all of them when {@code
   * full}), draining the model's and encoder's publication sets either way.
   */
  static ModelUpdate capture(
      CtrModel model,
      FeatureEncoder encoder,
      long epoch,
      long sequence,
      long version,
      boolean full,
      boolean withDense) {
    return write(
        model,
        encoder,
        epoch,
        sequence,
        version,
        full ? UpdateBody.Scope.FULL : UpdateBody.Scope.CHANGES,
        withDense,
        null);
  }

  /**
   * Captures base slice {@code slice.index()} of {@code slice.count()}: the rows and owners with
   * ids in that slice's share of each table and vocabulary, and the dense weights; drains nothing
   * (the increments still carry every change).
   */
  static ModelUpdate captureSlice(
      CtrModel model,
      FeatureEncoder encoder,
      long epoch,
      long sequence,
      long version,
      BaseSlices.Slice slice) {
    return write(model, encoder, epoch, sequence, version, UpdateBody.Scope.SLICE, true, slice);
  }

  /** A byte buffer whose contents can be checksummed without copying them. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer(int size) {
      super(size);
    }

    byte[] array() {
      return buf;
    }
  }

  private static ModelUpdate write(
      CtrModel model,
      FeatureEncoder encoder,
      long epoch,
      long sequence,
      long version,
      UpdateBody.Scope scope,
      boolean withDense,
      BaseSlices.Slice slice) {
    boolean full = scope == UpdateBody.Scope.FULL;
    boolean dense = scope != UpdateBody.Scope.CHANGES || withDense;
    List<EmbeddingTable> tables = model.tables();
    try {
      // Sized up front for a full update (tens of megabytes for millions of rows), so that it is
      // not grown by
      // copying, each copy a large object the collector must find room for.
      long cells = 0;
      for (int t = 0; t < tables.size() && scope != UpdateBody.Scope.CHANGES; t++) {
        EmbeddingTable table = tables.get(t);
        long rows = full ? table.rows() : slice.tableEnd(t) - slice.tableStart(t);
        cells += Math.max(0, rows) * (4 + 4L * table.dim());
      }
      Buffer raw = new Buffer((int) Math.min(Integer.MAX_VALUE - 64, 4096 + cells * 5 / 4));
      DataOutputStream out = new DataOutputStream(raw);
      out.writeInt(scope == UpdateBody.Scope.SLICE ? MAGIC_SLICE : MAGIC);
      out.writeLong(epoch);
      out.writeLong(sequence);
      out.writeLong(version);
      out.writeByte(full ? 1 : 0);
      out.writeByte(dense ? 1 : 0);
      if (scope == UpdateBody.Scope.SLICE) {
        out.writeInt(slice.index());
        out.writeInt(slice.count());
      }
      if (scope != UpdateBody.Scope.CHANGES) {
        writeText(out, encoder.spec().json());
        writeText(out, model.config().toProperties());
      }
      UpdateBody.write(out, model, encoder, scope, slice, dense);
      out.flush();
      CRC32C crc = new CRC32C();
      crc.update(raw.array(), 0, raw.size());
      out.writeInt((int) crc.getValue());
      return parse(raw.toByteArray(), false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes this update's rows, owners and dense weights into a replica's model and encoder. */
  void applyTo(CtrModel model, FeatureEncoder encoder) {
    try {
      DataInputStream in =
          new DataInputStream(
              new ByteArrayInputStream(bytes, bodyOffset, bytes.length - 4 - bodyOffset));
      UpdateBody.read(in, bytes[29] != 0, model, encoder);
    } catch (IOException e) {
      throw new IllegalArgumentException("model update truncated or not for this model: " + e);
    }
  }
}
