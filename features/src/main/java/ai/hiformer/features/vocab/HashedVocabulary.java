package ai.hiformer.features.vocab;

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

  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  /**
   * 64-bit FNV-1a over the UTF-8 bytes: stable across JVMs and releases (unlike String.hashCode's
   * spread). The bytes are those of {@code s.getBytes(UTF_8)} (a lone surrogate is {@code '?'}),
   * encoded as they are hashed rather than into an array: this runs for every feature value of
   * every event.
   */
  public static long fnv1a64(String s) {
    long h = FNV_OFFSET;
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        h = (h ^ c) * FNV_PRIME;
      } else if (c < 0x800) {
        h = (h ^ (0xc0 | (c >> 6))) * FNV_PRIME;
        h = (h ^ (0x80 | (c & 0x3f))) * FNV_PRIME;
      } else if (!Character.isSurrogate(c)) {
        h = (h ^ (0xe0 | (c >> 12))) * FNV_PRIME;
        h = (h ^ (0x80 | ((c >> 6) & 0x3f))) * FNV_PRIME;
        h = (h ^ (0x80 | (c & 0x3f))) * FNV_PRIME;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        h = (h ^ (0xf0 | (cp >> 18))) * FNV_PRIME;
        h = (h ^ (0x80 | ((cp >> 12) & 0x3f))) * FNV_PRIME;
        h = (h ^ (0x80 | ((cp >> 6) & 0x3f))) * FNV_PRIME;
        h = (h ^ (0x80 | (cp & 0x3f))) * FNV_PRIME;
      } else {
        h = (h ^ '?') * FNV_PRIME; // a lone surrogate, as the UTF-8 encoder replaces it
      }
    }
    return h;
  }
}
