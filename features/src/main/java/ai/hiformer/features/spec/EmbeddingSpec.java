package ai.hiformer.features.spec;

/**
 * How a field's values map to embedding rows (docs/DESIGN.md §4).
 *
 * @param hashed false: exact keys, ids assigned in stream order (the protocol's); true: hashed into
 *     {@code buckets} fixed rows
 * @param admission a value gets its own row after it was seen this many times; before that it shares
 *     the field's "rare" row (1 = off)
 * @param ttlEvents rows of values not seen for this many events are freed (0 = off)
 * @param capacity at most this many rows per field; the least recently seen value is evicted (0 = off)
 */
public record EmbeddingSpec(boolean hashed, int buckets, int admission, long ttlEvents, int capacity) {
  public static final EmbeddingSpec EXACT = new EmbeddingSpec(false, 0, 1, 0, 0);

  public EmbeddingSpec {
    if (hashed && buckets <= 0) {
      throw new SpecException("embedding.buckets must be > 0 for hashed keys, got " + buckets);
    }
    if (admission < 1) {
      throw new SpecException("embedding.admission must be >= 1, got " + admission);
    }
    if (ttlEvents < 0 || capacity < 0) {
      throw new SpecException("embedding.ttl_events and embedding.capacity must be >= 0 (0 = off)");
    }
    if (hashed && (admission > 1 || ttlEvents > 0 || capacity > 0)) {
      throw new SpecException("embedding: admission, ttl_events and capacity apply to exact keys only");
    }
  }

  public boolean evicts() {
    return ttlEvents > 0 || capacity > 0;
  }
}
