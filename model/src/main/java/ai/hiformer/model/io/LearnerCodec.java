package ai.hiformer.model.io;

import ai.hiformer.model.CtrModel;
import ai.hiformer.model.InputLayout;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.Models;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The binary form of a learner: the network's configuration, every dense parameter with its Adam
 * moments, every embedding table with its Adagrad accumulators, and the step counters. Used for the
 * job's keyed state and for serving snapshots; never Java serialization.
 *
 * <p>Layout (little-endian), format version 1:
 * <pre>
 *   bytes  "HFL1"                       magic and format version
 *   int    n, bytes[n]                  model config, UTF-8 {@code key=value} lines
 *   int×4                               input layout: nCat, nMulti, maxMulti, nNum
 *   long   adam step, long steps, long skipped steps
 *   int    P; P × { int n, bytes[n] name; int size; double[size] value, m, v }
 *   int    E; E × { int n, bytes[n] name; int dim; int rows; double[rows·dim] values, accumulators }
 *   int    CRC32C of every byte before it
 * </pre>
 * Parameters and tables are written in the model's registration order and checked by name on read.
 */
public final class LearnerCodec {
  public static final int FORMAT_VERSION = 1;
  private static final byte[] MAGIC = {'H', 'F', 'L', '1'};

  private LearnerCodec() {}

  public static byte[] encode(Learner learner) {
    CtrModel model = learner.model();
    byte[] config = model.config().toProperties().getBytes(StandardCharsets.UTF_8);
    List<Param> params = model.params().all();
    long size = 4 + 4 + config.length + 16 + 24 + 4 + 4 + 4;
    for (Param p : params) {
      size += 4 + p.name().getBytes(StandardCharsets.UTF_8).length + 4 + 24L * p.size();
    }
    for (EmbeddingTable t : model.tables()) {
      size += 4 + t.name().getBytes(StandardCharsets.UTF_8).length + 8 + 16L * t.rows() * t.dim();
    }
    if (size > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("model of " + size + " bytes exceeds the single-buffer codec");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC);
    buf.putInt(config.length).put(config);
    InputLayout l = model.layout();
    buf.putInt(l.nCat()).putInt(l.nMulti()).putInt(l.maxMulti()).putInt(l.nNum());
    buf.putLong(learner.adam().step()).putLong(learner.steps()).putLong(learner.skippedSteps());
    buf.putInt(params.size());
    for (int i = 0; i < params.size(); i++) {
      Param p = params.get(i);
      putName(buf, p.name());
      buf.putInt(p.size());
      putDoubles(buf, p.value(), p.size());
      double[][] mv = learner.adam().moments(i);
      putDoubles(buf, mv[0], p.size());
      putDoubles(buf, mv[1], p.size());
    }
    buf.putInt(model.tables().size());
    for (EmbeddingTable t : model.tables()) {
      putName(buf, t.name());
      buf.putInt(t.dim()).putInt(t.rows());
      putDoubles(buf, t.values(), t.rows() * t.dim());
      putDoubles(buf, t.accumulators(), t.rows() * t.dim());
    }
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, buf.position());
    buf.putInt((int) crc.getValue());
    return buf.array();
  }

  /**
   * Rebuilds a learner from {@link #encode} output.
   *
   * @throws IllegalArgumentException naming the problem: bad magic or version, checksum mismatch,
   *     truncation, or a parameter that does not fit the configuration
   */
  public static Learner decode(byte[] bytes, OptimizerConfig optimizer) {
    if (bytes.length < 12) {
      throw new IllegalArgumentException("learner state truncated: " + bytes.length + " bytes");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[4];
    buf.get(magic);
    if (magic[0] != 'H' || magic[1] != 'F' || magic[2] != 'L') {
      throw new IllegalArgumentException("not a learner state (bad magic)");
    }
    if (magic[3] != '0' + FORMAT_VERSION) {
      throw new IllegalArgumentException("learner state: format v" + (char) magic[3]
          + " is not supported by this version (it reads v" + FORMAT_VERSION + ")");
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (stored != (int) crc.getValue()) {
      throw new IllegalArgumentException("learner state checksum mismatch (corrupt or truncated)");
    }
    try {
      int configLength = buf.getInt();
      if (configLength < 0 || configLength > buf.remaining()) {
        throw new IllegalArgumentException("learner state: a model config of " + configLength + " bytes where "
            + buf.remaining() + " remain");
      }
      byte[] config = new byte[configLength];
      buf.get(config);
      ModelConfig mc = ModelConfig.fromProperties(new String(config, StandardCharsets.UTF_8));
      InputLayout layout = new InputLayout(buf.getInt(), buf.getInt(), buf.getInt(), buf.getInt());
      CtrModel model = Models.create(mc, layout);
      Learner learner = new Learner(model, optimizer);
      long adamStep = buf.getLong();
      learner.restoreCounters(buf.getLong(), buf.getLong());
      learner.adam().setStep(adamStep);
      List<Param> params = model.params().all();
      int np = buf.getInt();
      if (np != params.size()) {
        throw new IllegalArgumentException("state has " + np + " parameters, the model " + params.size());
      }
      for (int i = 0; i < np; i++) {
        Param p = params.get(i);
        String name = getName(buf);
        int n = buf.getInt();
        if (!name.equals(p.name()) || n != p.size()) {
          throw new IllegalArgumentException("state parameter " + name + "[" + n + "] does not match model parameter "
              + p.name() + "[" + p.size() + "]");
        }
        getDoubles(buf, p.value(), n);
        double[][] mv = learner.adam().moments(i);
        getDoubles(buf, mv[0], n);
        getDoubles(buf, mv[1], n);
      }
      int nt = buf.getInt();
      if (nt != model.tables().size()) {
        throw new IllegalArgumentException("state has " + nt + " tables, the model " + model.tables().size());
      }
      for (EmbeddingTable t : model.tables()) {
        String name = getName(buf);
        int dim = buf.getInt();
        int rows = buf.getInt();
        if (!name.equals(t.name()) || dim != t.dim()) {
          throw new IllegalArgumentException("state table " + name + " (dim " + dim + ") does not match " + t.name());
        }
        // Values and accumulators take 16 bytes a cell: a count the buffer cannot hold is refused before the
        // table grows (a state claiming millions of rows would otherwise allocate them first).
        if (rows < 0 || (long) rows * dim * 16 > buf.remaining()) {
          throw new IllegalArgumentException("state table " + name + " claims " + rows + " rows of dim " + dim
              + " but only " + buf.remaining() + " bytes remain");
        }
        t.ensureRow(rows - 1);
        getDoubles(buf, t.values(), rows * dim);
        getDoubles(buf, t.accumulators(), rows * dim);
      }
      return learner;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("learner state truncated");
    }
  }

  private static void putName(ByteBuffer buf, String name) {
    byte[] b = name.getBytes(StandardCharsets.UTF_8);
    buf.putInt(b.length).put(b);
  }

  private static String getName(ByteBuffer buf) {
    int n = buf.getInt();
    if (n < 0 || n > buf.remaining()) {
      throw new IllegalArgumentException("learner state: a name of " + n + " bytes where " + buf.remaining()
          + " remain");
    }
    byte[] b = new byte[n];
    buf.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static void putDoubles(ByteBuffer buf, double[] a, int n) {
    buf.asDoubleBuffer().put(a, 0, n);
    buf.position(buf.position() + 8 * n);
  }

  private static void getDoubles(ByteBuffer buf, double[] a, int n) {
    buf.asDoubleBuffer().get(a, 0, n);
    buf.position(buf.position() + 8 * n);
  }
}
