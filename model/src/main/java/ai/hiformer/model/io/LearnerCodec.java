package ai.hiformer.model.io;

import ai.hiformer.model.CtrModel;
import ai.hiformer.model.InputLayout;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.Models;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.nn.RowChanges;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

/**
 * The binary form of a learner: the network's configuration, every dense parameter with its Adam
 * moments, every embedding table with its Adagrad accumulators, and the step counters. Used for
 * serving snapshots and exports; never Java serialization. It streams: a table of any size is
 * written and read page by page, never through one array.
 *
 * <p>Layout (little-endian), format version 2:
 *
 * <pre>
 *   bytes  "HFL2"                       magic and format version
 *   int    n, bytes[n]                  model config, UTF-8 {@code key=value} lines
 *   int×4                               input layout: nCat, nMulti, maxMulti, nNum
 *   long   adam step, long steps, long skipped steps
 *   int    P; P × { int n, bytes[n] name; int size; double[size] value, m, v }
 *   int    E; E × { int n, bytes[n] name; int dim; int rows; int c; cell[rows·dim] values, accumulators }
 *   int    CRC32C of every byte before it
 * </pre>
 *
 * A cell is c bytes: 4 (float32), or 8 (double) for a table kept {@link EmbeddingTable#wide()
 * wide}; a reader converts to its own table's width. c = 0: no cells follow, the rows are saved
 * elsewhere ({@link #encodeWithoutRows}). Version 1 (still read) has no c and every cell a double.
 * Parameters and tables are written in the model's registration order and checked by name on read.
 */
public final class LearnerCodec {
  public static final int FORMAT_VERSION = 2;

  private LearnerCodec() {}

  /**
   * The whole learner in one array: for models that fit one (state fixtures, tests, small
   * snapshots).
   */
  public static byte[] encode(Learner learner) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      write(learner, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Everything but the embedding rows' cells (c = 0 in every table header): the head of an
   * incremental state whose rows are saved one by one ({@link
   * ai.hiformer.model.nn.RowCopies#writeState}). {@link #decode} of it gives tables of the right
   * size whose rows the caller must restore.
   */
  public static byte[] encodeWithoutRows(Learner learner) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writeWithoutRows(learner, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** {@link #encodeWithoutRows} into {@code stream} (not closed). */
  public static void writeWithoutRows(Learner learner, OutputStream stream) throws IOException {
    write(learner, stream, false);
  }

  /** Writes the learner to {@code stream} (not closed). */
  public static void write(Learner learner, OutputStream stream) throws IOException {
    write(learner, stream, true);
  }

  private static void write(Learner learner, OutputStream stream, boolean cells)
      throws IOException {
    CtrModel model = learner.model();
    LittleEndianOutput out = new LittleEndianOutput(stream);
    out.bytes(new byte[] {'H', 'F', 'L', (byte) ('0' + FORMAT_VERSION)});
    byte[] config = model.config().toProperties().getBytes(StandardCharsets.UTF_8);
    out.i32(config.length);
    out.bytes(config);
    InputLayout l = model.layout();
    out.i32(l.nCat());
    out.i32(l.nMulti());
    out.i32(l.maxMulti());
    out.i32(l.nNum());
    out.i64(learner.adam().step());
    out.i64(learner.steps());
    out.i64(learner.skippedSteps());
    List<Param> params = model.params().all();
    out.i32(params.size());
    for (int i = 0; i < params.size(); i++) {
      Param p = params.get(i);
      out.name(p.name());
      out.i32(p.size());
      out.doubles(p.value(), 0, p.size());
      double[][] mv = learner.adam().moments(i);
      out.doubles(mv[0], 0, p.size());
      out.doubles(mv[1], 0, p.size());
    }
    out.i32(model.tables().size());
    for (EmbeddingTable t : model.tables()) {
      out.name(t.name());
      out.i32(t.dim());
      out.i32(t.rows());
      out.i32(cells ? t.cellBytes() : 0);
      if (cells) {
        writeCells(out, t, true);
        writeCells(out, t, false);
      }
    }
    out.finishWithChecksum();
  }

  private static void writeCells(LittleEndianOutput out, EmbeddingTable t, boolean values)
      throws IOException {
    for (int first = 0; first < t.rows(); first += EmbeddingTable.PAGE_ROWS) {
      int n = Math.min(EmbeddingTable.PAGE_ROWS, t.rows() - first) * t.dim();
      if (t.wide()) {
        out.doubles(values ? t.wideValuePage(first) : t.wideAccumulatorPage(first), 0, n);
      } else {
        out.floats(values ? t.valuePage(first) : t.accumulatorPage(first), 0, n);
      }
    }
  }

  /**
   * Rebuilds a learner from {@link #encode} output.
   *
   * @throws IllegalArgumentException naming the problem: bad magic or version, checksum mismatch,
   *     truncation, or a parameter that does not fit the configuration
   */
  public static Learner decode(byte[] bytes, OptimizerConfig optimizer) {
    return decode(bytes, optimizer, () -> RowChanges.NONE);
  }

  /**
   * {@link #decode(byte[], OptimizerConfig)}, each table followed by a listener from {@code
   * tracking} from before its rows are read (so that they count as changed for it).
   */
  public static Learner decode(
      byte[] bytes, OptimizerConfig optimizer, Supplier<RowChanges> tracking) {
    if (bytes.length < 12) {
      throw new IllegalArgumentException("learner state truncated: " + bytes.length + " bytes");
    }
    // Checked first, so that a damaged array is named as such rather than by the field it happened
    // to hit.
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    int stored =
        java.nio.ByteBuffer.wrap(bytes, bytes.length - 4, 4)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN)
            .getInt();
    if ((bytes[3] == '1' || bytes[3] == '2') && stored != (int) crc.getValue()) {
      throw new IllegalArgumentException("learner state checksum mismatch (corrupt or truncated)");
    }
    try {
      return read(
          new java.io.ByteArrayInputStream(bytes), bytes.length, optimizer, false, tracking);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads a learner of {@code length} bytes from {@code stream}, verifying the checksum at its end.
   *
   * @throws IllegalArgumentException as {@link #decode}
   */
  public static Learner read(InputStream stream, long length, OptimizerConfig optimizer)
      throws IOException {
    return read(stream, length, optimizer, false, () -> RowChanges.NONE);
  }

  /**
   * Decodes {@link #encodeWithoutRows} output: the tables get their sizes, rows zero, for the
   * caller to fill from where the rows were saved. Only for state this process's own kind wrote (a
   * checkpoint): a row count is not bounded by the bytes that follow it.
   */
  public static Learner decodeWithoutRows(byte[] bytes, OptimizerConfig optimizer) {
    return decodeWithoutRows(bytes, optimizer, () -> RowChanges.NONE);
  }

  /**
   * {@link #decodeWithoutRows(byte[], OptimizerConfig)}, each table followed as {@link #decode}.
   */
  public static Learner decodeWithoutRows(
      byte[] bytes, OptimizerConfig optimizer, Supplier<RowChanges> tracking) {
    try {
      return read(new java.io.ByteArrayInputStream(bytes), bytes.length, optimizer, true, tracking);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Learner read(
      InputStream stream,
      long length,
      OptimizerConfig optimizer,
      boolean rowsElsewhere,
      Supplier<RowChanges> tracking)
      throws IOException {
    LittleEndianInput in = new LittleEndianInput(stream, length, "learner state");
    byte[] magic = in.bytes(4);
    if (magic[0] != 'H' || magic[1] != 'F' || magic[2] != 'L') {
      throw new IllegalArgumentException("not a learner state (bad magic)");
    }
    int version = magic[3] - '0';
    if (version != 1 && version != 2) {
      throw new IllegalArgumentException(
          "learner state: format v"
              + (char) magic[3]
              + " is not supported by this version (it reads v1 to v"
              + FORMAT_VERSION
              + ")");
    }
    int configLength = in.i32();
    if (configLength < 0 || configLength > in.remaining()) {
      throw new IllegalArgumentException(
          "learner state: a model config of "
              + configLength
              + " bytes where "
              + in.remaining()
              + " remain");
    }
    ModelConfig mc =
        ModelConfig.fromProperties(new String(in.bytes(configLength), StandardCharsets.UTF_8));
    InputLayout layout = new InputLayout(in.i32(), in.i32(), in.i32(), in.i32());
    CtrModel model = Models.create(mc, layout);
    for (EmbeddingTable t : model.tables()) {
      t.trackChanges(tracking.get());
    }
    Learner learner = new Learner(model, optimizer);
    long adamStep = in.i64();
    learner.restoreCounters(in.i64(), in.i64());
    learner.adam().setStep(adamStep);
    List<Param> params = model.params().all();
    int np = in.i32();
    if (np != params.size()) {
      throw new IllegalArgumentException(
          "state has " + np + " parameters, the model " + params.size());
    }
    for (int i = 0; i < np; i++) {
      Param p = params.get(i);
      String name = in.name();
      int n = in.i32();
      if (!name.equals(p.name()) || n != p.size()) {
        throw new IllegalArgumentException(
            "state parameter "
                + name
                + "["
                + n
                + "] does not match model parameter "
                + p.name()
                + "["
                + p.size()
                + "]");
      }
      in.doubles(p.value(), 0, n);
      double[][] mv = learner.adam().moments(i);
      in.doubles(mv[0], 0, n);
      in.doubles(mv[1], 0, n);
    }
    int nt = in.i32();
    if (nt != model.tables().size()) {
      throw new IllegalArgumentException(
          "state has " + nt + " tables, the model " + model.tables().size());
    }
    for (EmbeddingTable t : model.tables()) {
      String name = in.name();
      int dim = in.i32();
      int rows = in.i32();
      if (!name.equals(t.name()) || dim != t.dim()) {
        throw new IllegalArgumentException(
            "state table " + name + " (dim " + dim + ") does not match " + t.name());
      }
      // Values and accumulators: a count the input cannot hold is refused before the table grows (a
      // state
      // claiming millions of rows would otherwise allocate them first).
      int cellBytes = version == 1 ? 8 : in.i32();
      if (cellBytes != 4 && cellBytes != 8 && cellBytes != 0) {
        throw new IllegalArgumentException(
            "state table " + name + ": cells of " + cellBytes + " bytes (0, 4 or 8)");
      }
      if (cellBytes == 0) { // rows saved elsewhere (an incremental state's head)
        if (!rowsElsewhere) {
          throw new IllegalArgumentException(
              "state table "
                  + name
                  + " has no rows stored here (an incremental"
                  + " state's head, not a learner)");
        }
        if (rows < 1) {
          throw new IllegalArgumentException("state table " + name + " claims " + rows + " rows");
        }
        t.reserveRows(rows);
        continue;
      }
      if (rows < 1 || (long) rows * dim * 2 * cellBytes > in.remaining()) {
        throw new IllegalArgumentException(
            "state table "
                + name
                + " claims "
                + rows
                + " rows of dim "
                + dim
                + " but only "
                + in.remaining()
                + " bytes remain");
      }
      t.ensureRow(rows - 1);
      readCells(in, t, true, cellBytes == 8);
      readCells(in, t, false, cellBytes == 8);
    }
    in.verifyChecksum();
    return learner;
  }

  private static void readCells(
      LittleEndianInput in, EmbeddingTable t, boolean values, boolean doublesStored)
      throws IOException {
    for (int first = 0; first < t.rows(); first += EmbeddingTable.PAGE_ROWS) {
      int n = Math.min(EmbeddingTable.PAGE_ROWS, t.rows() - first) * t.dim();
      if (t.wide()) {
        double[] page = values ? t.wideValuePage(first) : t.wideAccumulatorPage(first);
        if (doublesStored) {
          in.doubles(page, 0, n);
        } else {
          in.floatsAsDoubles(page, 0, n);
        }
      } else {
        float[] page = values ? t.valuePage(first) : t.accumulatorPage(first);
        if (doublesStored) {
          in.doublesAsFloats(page, 0, n);
        } else {
          in.floats(page, 0, n);
        }
      }
    }
  }
}
