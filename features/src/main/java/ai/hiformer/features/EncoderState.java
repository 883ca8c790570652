package ai.hiformer.features;

import ai.hiformer.features.vocab.Vocabulary;

/**
 * A {@link FeatureEncoder}'s learned state as bytes (format v{@value #VERSION}): its stream
 * position, truncated-value count, every vocabulary (whole, or its head when the exact values are
 * saved one by one) and the numeric fields' running statistics.
 */
final class EncoderState {
  static final int VERSION = 1;

  private EncoderState() {}

  /** The encoder's state; {@code head}: without the exact vocabularies' values. */
  static byte[] write(FeatureEncoder enc, boolean head) {
    try {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
      out.writeInt(VERSION);
      out.writeLong(enc.position);
      out.writeLong(enc.truncatedValues);
      out.writeInt(enc.vocabularies.length);
      for (Vocabulary v : enc.vocabularies) {
        if (head) {
          v.writeHead(out);
        } else {
          v.writeTo(out);
        }
      }
      out.writeInt(enc.stats.length);
      for (RunningStats s : enc.stats) {
        out.writeLong(s.count);
        out.writeDouble(s.mean);
        out.writeDouble(s.m2);
      }
      out.flush();
      return bytes.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Restores a state into {@code enc} (built from the same spec): a whole state, or a head with
   * {@code entries}, every vocabulary entry saved one by one since the encoder began (null: none).
   */
  static void restore(
      FeatureEncoder enc, byte[] state, Iterable<java.util.Map.Entry<Long, byte[]>> entries) {
    read(enc, state);
    try {
      if (entries != null) {
        for (java.util.Map.Entry<Long, byte[]> e : entries) {
          int v = (int) (e.getKey() >>> 32);
          if (v < 0 || v >= enc.vocabularies.length) {
            throw new IllegalArgumentException(
                "a saved entry of vocabulary " + v + "; the spec has " + enc.vocabularies.length);
          }
          enc.vocabularies[v].restoreEntry((int) (long) e.getKey(), e.getValue());
        }
      }
      for (Vocabulary v : enc.vocabularies) {
        v.finishRestore(); // a head without its entries fails here, naming the missing values
      }
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("corrupt encoder state: " + e.getMessage());
    }
  }

  private static void read(FeatureEncoder enc, byte[] state) {
    try {
      java.io.DataInputStream in =
          new java.io.DataInputStream(new java.io.ByteArrayInputStream(state));
      int version = in.readInt();
      if (version != VERSION) {
        throw new IllegalArgumentException(
            "encoder state: format v"
                + version
                + " is not supported by this version (it reads v"
                + VERSION
                + ")");
      }
      enc.position = in.readLong();
      enc.truncatedValues = in.readLong();
      int nv = in.readInt();
      if (nv != enc.vocabularies.length) {
        throw new IllegalArgumentException(
            "encoder state has " + nv + " vocabularies, the spec " + enc.vocabularies.length);
      }
      for (Vocabulary v : enc.vocabularies) {
        v.readFrom(in);
      }
      int ns = in.readInt();
      if (ns != enc.stats.length) {
        throw new IllegalArgumentException(
            "encoder state has " + ns + " numeric fields, the spec " + enc.stats.length);
      }
      for (RunningStats s : enc.stats) {
        s.count = in.readLong();
        s.mean = in.readDouble();
        s.m2 = in.readDouble();
      }
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("corrupt encoder state: " + e.getMessage());
    }
  }
}
