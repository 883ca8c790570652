package ai.hiformer.model.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Little-endian primitives written through a 64 KiB staging buffer, with a running CRC32C of every
 * byte: the writing half of the project's binary formats. Arrays go out in buffer-sized pieces, so
 * a stream of any length is written without holding it.
 */
final class LittleEndianOutput {
  private final OutputStream out;
  private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc = new CRC32C();

  LittleEndianOutput(OutputStream out) {
    this.out = out;
  }

  private void room(int bytes) throws IOException {
    if (buf.remaining() < bytes) {
      flushBuffer();
    }
  }

  private void flushBuffer() throws IOException {
    crc.update(buf.array(), 0, buf.position());
    out.write(buf.array(), 0, buf.position());
    buf.clear();
  }

  void i32(int v) throws IOException {
    room(4);
    buf.putInt(v);
  }

  void i64(long v) throws IOException {
    room(8);
    buf.putLong(v);
  }

  void bytes(byte[] b) throws IOException {
    for (int o = 0; o < b.length; ) {
      room(1);
      int n = Math.min(buf.remaining(), b.length - o);
      buf.put(b, o, n);
      o += n;
    }
  }

  void name(String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    i32(b.length);
    bytes(b);
  }

  void doubles(double[] a, int from, int n) throws IOException {
    for (int o = from, end = from + n; o < end; ) {
      room(8);
      int k = Math.min(buf.remaining() / 8, end - o);
      buf.asDoubleBuffer().put(a, o, k);
      buf.position(buf.position() + 8 * k);
      o += k;
    }
  }

  void floats(float[] a, int from, int n) throws IOException {
    for (int o = from, end = from + n; o < end; ) {
      room(4);
      int k = Math.min(buf.remaining() / 4, end - o);
      buf.asFloatBuffer().put(a, o, k);
      buf.position(buf.position() + 4 * k);
      o += k;
    }
  }

  /** Writes the CRC32C of everything written so far and flushes (the stream stays open). */
  void finishWithChecksum() throws IOException {
    flushBuffer();
    buf.putInt((int) crc.getValue());
    out.write(buf.array(), 0, 4);
    buf.clear();
    out.flush();
  }
}
