package ai.hiformer.learner;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A model update as records of a bounded size, and back: a full update of a model with millions of
 * rows is tens of megabytes, more than a Kafka record may be (1 MB by default), so the update topic
 * carries it in chunks (transport only: unrelated to the base slices of {@link BaseSlices}, which
 * cut a model's content).
 *
 * <p>Chunk form (big-endian): {@code "HFP1"}, epoch, sequence (longs: the update's), index, count
 * (ints), then a piece of the update's bytes; the pieces of chunks 0 .. count-1, in order, are the
 * update ({@link ModelUpdate#of} checks the whole). One model's chunks travel in order on one
 * partition; an {@link Assembler} per model id puts them back together, restarting when a chunk
 * does not continue the update it is assembling (a record lost, or an update written again after a
 * restart).
 */
public final class UpdateChunks {
  /**
   * A chunk's payload, in bytes: chunks then fit Kafka's default record limit (1 MB) with room for
   * the headers.
   */
  public static final int DEFAULT_CHUNK_BYTES = 1_000_000;

  private static final int MAGIC = 0x48465031; // "HFP1"
  private static final int HEADER = 4 + 8 + 8 + 4 + 4;

  private UpdateChunks() {}

  /** The chunks of {@code update}, each holding at most {@code chunkBytes} of it. */
  public static List<byte[]> split(ModelUpdate update, int chunkBytes) {
    return split(update.publishedBytes(), chunkBytes);
  }

  /**
   * The chunks of the published update {@code bytes} ({@link ModelUpdate#bytes()}), without parsing
   * or copying it whole first: a full update of a large model is tens of megabytes.
   */
  public static List<byte[]> split(byte[] bytes, int chunkBytes) {
    if (chunkBytes < 1) {
      throw new IllegalArgumentException("invalid chunk bytes = " + chunkBytes + "; allowed: >= 1");
    }
    if (bytes.length < 20) {
      throw new IllegalArgumentException("not a model update: " + bytes.length + " bytes");
    }
    ByteBuffer header = ByteBuffer.wrap(bytes);
    long epoch = header.getLong(4);
    long sequence = header.getLong(12);
    int count = Math.max(1, (bytes.length + chunkBytes - 1) / chunkBytes);
    List<byte[]> chunks = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int from = i * chunkBytes;
      int n = Math.min(chunkBytes, bytes.length - from);
      ByteBuffer b = ByteBuffer.allocate(HEADER + n);
      b.putInt(MAGIC).putLong(epoch).putLong(sequence).putInt(i).putInt(count);
      b.put(bytes, from, n);
      chunks.add(b.array());
    }
    return chunks;
  }

  /** Puts one model's chunks back together, in the order they are read. Not thread-safe. */
  public static final class Assembler {
    private long epoch;
    private long sequence;
    private int count;
    private int next; // the index of the chunk expected next; 0 = none in progress
    private final ByteArrayOutputStream assembled = new ByteArrayOutputStream();

    /**
     * Takes the next record of this model: returns the whole update once its last chunk is in, else
     * null. A record that is a whole update (no chunks) is returned as it is.
     *
     * @throws IllegalArgumentException if the record is neither a chunk nor an update (it is then
     *     dropped)
     */
    public ModelUpdate offer(byte[] record) {
      if (record.length < HEADER || ByteBuffer.wrap(record).getInt(0) != MAGIC) {
        return ModelUpdate.of(record);
      }
      ByteBuffer b = ByteBuffer.wrap(record);
      b.getInt();
      long e = b.getLong();
      long s = b.getLong();
      int index = b.getInt();
      int n = b.getInt();
      if (n < 1 || index < 0 || index >= n) {
        throw new IllegalArgumentException("model update chunk " + index + " of " + n);
      }
      if (index == 0) {
        assembled.reset();
        epoch = e;
        sequence = s;
        count = n;
      } else if (next != index || e != epoch || s != sequence || n != count) {
        next = 0; // does not continue what is being assembled: wait for the first chunk of the next
        // update
        assembled.reset();
        return null;
      }
      assembled.write(record, HEADER, record.length - HEADER);
      next = index + 1;
      if (next < count) {
        return null;
      }
      next = 0;
      byte[] whole = assembled.toByteArray();
      assembled.reset();
      return ModelUpdate.wrapping(whole);
    }
  }
}
