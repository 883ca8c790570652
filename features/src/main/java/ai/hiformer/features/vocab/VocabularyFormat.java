package ai.hiformer.features.vocab;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

/**
 * An {@link ExactVocabulary}'s persisted form: whole (every entry inline), its head (entries saved
 * apart, restored through {@link SavedEntries}), or the older format 1 (values by text).
 */
final class VocabularyFormat {
  private VocabularyFormat() {}

  /** Writes {@code v} whole, or its head only ({@code head}: entries saved apart). */
  static void write(ExactVocabulary v, DataOutputStream out, boolean head) throws IOException {
    out.writeInt(head ? ExactVocabulary.HEAD_FORMAT : ExactVocabulary.WHOLE_FORMAT);
    writeCommon(v, out);
    if (head) {
      return;
    }
    out.writeInt(v.size());
    for (int id : v.liveIds()) {
      out.writeInt(id);
      out.writeLong(v.fingerprint[id]);
      out.writeLong(v.lastSeen[id]);
    }
  }

  private static void writeCommon(ExactVocabulary v, DataOutputStream out) throws IOException {
    out.writeInt(v.next);
    out.writeLong(v.generation);
    out.writeInt(v.pendingCounts.size());
    for (Map.Entry<Long, Integer> e : v.pendingCounts.entrySet()) {
      out.writeLong(e.getKey());
      out.writeInt(e.getValue());
    }
    out.writeInt(v.freeIds.size());
    for (int id : v.freeIds) {
      out.writeInt(id);
    }
  }

  /** Reads what {@link #write} wrote (or format 1) into {@code v}, replacing its content. */
  static void read(ExactVocabulary v, DataInputStream in) throws IOException {
    v.clear();
    int format = in.readInt();
    if (format == ExactVocabulary.WHOLE_FORMAT || format == ExactVocabulary.HEAD_FORMAT) {
      readCommon(v, in);
      if (format == ExactVocabulary.WHOLE_FORMAT) {
        for (int i = 0, n = in.readInt(); i < n; i++) {
          v.add(in.readInt(), in.readLong(), in.readLong());
        }
      } else {
        v.restoring = new SavedEntries();
      }
      return;
    }
    // Format 1: {next, generation, values by text in recency order, pending by text, free ids}.
    v.next = format;
    v.generation = in.readLong();
    checkNext(v);
    for (int i = 0, n = in.readInt(); i < n; i++) {
      long fp = ExactVocabulary.fingerprintOf(in.readUTF());
      v.add(in.readInt(), fp, in.readLong());
    }
    for (int i = 0, n = in.readInt(); i < n; i++) {
      v.pendingCounts.put(ExactVocabulary.fingerprintOf(in.readUTF()), in.readInt());
    }
    readFree(v, in);
  }

  private static void readCommon(ExactVocabulary v, DataInputStream in) throws IOException {
    v.next = in.readInt();
    v.generation = in.readLong();
    checkNext(v);
    for (int i = 0, n = in.readInt(); i < n; i++) {
      v.pendingCounts.put(in.readLong(), in.readInt());
    }
    readFree(v, in);
  }

  private static void checkNext(ExactVocabulary v) throws IOException {
    if (v.next < v.firstId) {
      throw new IOException("vocabulary state: next id " + v.next + " is below " + v.firstId);
    }
    v.ensureId(v.next);
    Arrays.fill(v.lastSeen, 0, v.next, Long.MIN_VALUE);
  }

  private static void readFree(ExactVocabulary v, DataInputStream in) throws IOException {
    for (int i = 0, n = in.readInt(); i < n; i++) {
      int id = in.readInt();
      if (id < v.firstId || id >= v.next) {
        throw new IOException(
            "vocabulary state: free id " + id + " is outside [" + v.firstId + ", " + v.next + ")");
      }
      v.freeIds.add(id);
    }
  }
}
