package ai.hiformer.features.vocab;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;

/**
 * The entries of an exact vocabulary saved one by one ({@code (fingerprint, last seen)}, 16 bytes,
 * or empty for an id freed since), collected during a restore and handed back in (last seen, id)
 * order, so that each lands at the newest end of the recency order.
 */
final class SavedEntries {
  /** Receives one live entry. */
  interface Sink {
    void add(int id, long fingerprint, long lastSeen) throws IOException;
  }

  private long[] triples = new long[0]; // (id, fingerprint, lastSeen)
  private int count;

  /** Takes one saved entry of {@code id}. */
  void add(int id, byte[] value) throws IOException {
    if (value.length == 0) {
      return; // an id evicted after its last save: free now, listed in the head
    }
    if (value.length != 16) {
      throw new IOException("vocabulary state: an entry of " + value.length + " bytes (16)");
    }
    ByteBuffer b = ByteBuffer.wrap(value);
    int k = count * 3;
    if (k + 3 > triples.length) {
      triples = Arrays.copyOf(triples, Math.max(48, triples.length * 3 / 2 + 3));
    }
    triples[k] = id;
    triples[k + 1] = b.getLong();
    triples[k + 2] = b.getLong();
    count++;
  }

  /** Hands every entry whose id is not in {@code free} to {@code sink}, oldest first. */
  void replay(BitSet free, Sink sink) throws IOException {
    long[] r = triples;
    Integer[] order = new Integer[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order,
        (a, b) ->
            r[3 * a + 2] != r[3 * b + 2]
                ? Long.compare(r[3 * a + 2], r[3 * b + 2])
                : Long.compare(r[3 * a], r[3 * b]));
    for (int i : order) {
      int id = (int) r[3 * i];
      if (!free.get(id)) {
        sink.add(id, r[3 * i + 1], r[3 * i + 2]);
      }
    }
  }
}
