package ai.hiformer.model.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The reading half of {@link LittleEndianOutput}: primitives from a stream of known length whose
 * last four bytes are the CRC32C of the rest. Reads past the payload are refused as truncation;
 * every refusal is an {@link IllegalArgumentException} naming what was being read.
 */
final class LittleEndianInput {
  private final InputStream in;
  private final String what;
  private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc = new CRC32C();
  private long unread; // payload bytes not yet pulled into buf

  LittleEndianInput(InputStream in, long length, String what) {
    if (length < 4) {
      throw new IllegalArgumentException(what + " truncated: " + length + " bytes");
    }
    this.in = in;
    this.what = what;
    this.unread = length - 4;
    buf.flip();
  }

  /** Payload bytes left to read. */
  long remaining() {
    return unread + buf.remaining();
  }

  private void need(int bytes) throws IOException {
    if (buf.remaining() >= bytes) {
      return;
    }
    buf.compact();
    int want = (int) Math.min(buf.remaining(), unread);
    int start = buf.position();
    readFully(buf.array(), start, want);
    crc.update(buf.array(), start, want);
    unread -= want;
    buf.position(start + want);
    buf.flip();
    if (buf.remaining() < bytes) {
      throw new IllegalArgumentException(what + " truncated");
    }
  }

  private void readFully(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int n = in.read(b, off, len);
      if (n < 0) {
        throw new IllegalArgumentException(what + " truncated");
      }
      off += n;
      len -= n;
    }
  }

  int i32() throws IOException {
    need(4);
    return buf.getInt();
  }

  long i64() throws IOException {
    need(8);
    return buf.getLong();
  }

  byte[] bytes(int n) throws IOException {
    if (n < 0 || n > remaining()) {
      throw new IllegalArgumentException(
          what + ": " + n + " bytes where " + remaining() + " remain");
    }
    byte[] b = new byte[n];
    for (int o = 0; o < n; ) {
      need(1);
      int k = Math.min(buf.remaining(), n - o);
      buf.get(b, o, k);
      o += k;
    }
    return b;
  }

  String name() throws IOException {
    int n = i32();
    if (n < 0 || n > remaining()) {
      throw new IllegalArgumentException(
          what + ": a name of " + n + " bytes where " + remaining() + " remain");
    }
    return new String(bytes(n), StandardCharsets.UTF_8);
  }

  void doubles(double[] a, int from, int n) throws IOException {
    for (int o = from, end = from + n; o < end; ) {
      need(8);
      int k = Math.min(buf.remaining() / 8, end - o);
      buf.asDoubleBuffer().get(a, o, k);
      buf.position(buf.position() + 8 * k);
      o += k;
    }
  }

  void floats(float[] a, int from, int n) throws IOException {
    for (int o = from, end = from + n; o < end; ) {
      need(4);
      int k = Math.min(buf.remaining() / 4, end - o);
      buf.asFloatBuffer().get(a, o, k);
      buf.position(buf.position() + 4 * k);
      o += k;
    }
  }

  /** float32 cells read into double storage. */
  void floatsAsDoubles(double[] a, int from, int n) throws IOException {
    for (int o = from, end = from + n; o < end; o++) {
      need(4);
      a[o] = buf.getFloat();
    }
  }

  /** Doubles of an older format, rounded to float32 as they are read. */
  void doublesAsFloats(float[] a, int from, int n) throws IOException {
    for (int o = from, end = from + n; o < end; o++) {
      need(8);
      a[o] = (float) buf.getDouble();
    }
  }

  /** Checks that the payload was read to its end and that the trailing checksum matches it. */
  void verifyChecksum() throws IOException {
    if (remaining() != 0) {
      throw new IllegalArgumentException(what + ": " + remaining() + " bytes after the last table");
    }
    byte[] tail = new byte[4];
    readFully(tail, 0, 4);
    int stored = ByteBuffer.wrap(tail).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (stored != (int) crc.getValue()) {
      throw new IllegalArgumentException(what + " checksum mismatch (corrupt or truncated)");
    }
  }
}
