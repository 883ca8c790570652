package ai.hiformer.features.vocab;

import java.nio.charset.StandardCharsets;

/**
 * Hashed buckets: row {@code 1 + (fnv1a64(key) mod buckets)}; bounded memory, collisions shared.
 */
public final class HashedVocabulary implements Vocabulary {
  private final int buckets;

  public HashedVocabulary(int buckets) {
    this.buckets = buckets;
  }

  @Override
  public int idFor(String key, long position) {
    return lookup(key);
  }

  @Override
  public int lookup(String key) {
    return 1 + (int) Long.remainderUnsigned(fnv1a64(key), buckets);
  }

  @Override
  public int rowCount() {
    return buckets + 1;
  }

  @Override
  public void writeTo(java.io.DataOutputStream out) throws java.io.IOException {
    out.writeInt(buckets); // stateless: the bucket count guards against a changed spec
  }

  @Override
  public void readFrom(java.io.DataInputStream in) throws java.io.IOException {
    int b = in.readInt();
    if (b != buckets) {
      throw new java.io.IOException(
          "hashed vocabulary state has " + b + " buckets, the spec " + buckets);
    }
  }

  /**
   * 64-bit FNV-1a over the UTF-8 bytes: stable across JVMs and releases (unlike String.hashCode's
   * spread).
   */
  public static long fnv1a64(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }
}
