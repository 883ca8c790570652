package ai.hiformer.features.snapshot;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Arrays of numbers in the byte order {@link DataOutputStream} uses (big-endian), a chunk at a time
 * instead of one stream call per number: a model update carries the whole dense model, and writing
 * it number by number took about a tenth of the learner's thread (each call a synchronized write
 * into the buffer). The bytes are those of {@link DataOutputStream#writeDouble} and {@link
 * DataOutputStream#writeFloat} (the numbers are finite: the learner keeps NaN out of the model).
 */
public final class BigEndianArrays {
  private static final int CHUNK_BYTES = 1 << 15;

  private BigEndianArrays() {}

  /** Writes {@code v} as {@code v.length} doubles. */
  public static void writeDoubles(DataOutputStream out, double[] v) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate(Math.min(CHUNK_BYTES, Math.max(8, 8 * v.length)));
    int perChunk = chunk.capacity() / 8;
    for (int from = 0; from < v.length; from += perChunk) {
      int n = Math.min(perChunk, v.length - from);
      chunk.clear();
      chunk.asDoubleBuffer().put(v, from, n);
      out.write(chunk.array(), 0, 8 * n);
    }
  }

  /** Reads {@code v.length} doubles into {@code v}. */
  public static void readDoubles(DataInputStream in, double[] v) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate(Math.min(CHUNK_BYTES, Math.max(8, 8 * v.length)));
    int perChunk = chunk.capacity() / 8;
    for (int from = 0; from < v.length; from += perChunk) {
      int n = Math.min(perChunk, v.length - from);
      in.readFully(chunk.array(), 0, 8 * n);
      chunk.clear();
      chunk.asDoubleBuffer().get(v, from, n);
    }
  }

  /**
   * Writes {@code n} values of {@code v} from {@code off} as floats, through {@code scratch} (at
   * least {@code 4 n} bytes, reused by the caller).
   */
  public static void writeFloats(
      DataOutputStream out, double[] v, int off, int n, ByteBuffer scratch) throws IOException {
    scratch.clear();
    for (int j = 0; j < n; j++) {
      scratch.putFloat((float) v[off + j]);
    }
    out.write(scratch.array(), 0, 4 * n);
  }

  /**
   * Reads {@code n} floats into {@code v} from {@code off}, widened to double, through {@code
   * scratch} (at least {@code 4 n} bytes, reused by the caller): the reading side of {@link
   * #writeFloats}.
   */
  public static void readFloats(DataInputStream in, double[] v, int off, int n, ByteBuffer scratch)
      throws IOException {
    in.readFully(scratch.array(), 0, 4 * n);
    scratch.clear();
    for (int j = 0; j < n; j++) {
      v[off + j] = scratch.getFloat();
    }
  }
}
