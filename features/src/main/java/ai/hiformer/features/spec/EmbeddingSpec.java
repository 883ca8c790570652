package ai.hiformer.features.spec;

/**
 * How a field's values map to embedding rows (docs/ARCHITECTURE.md §4).
 *
 * @param hashed false: exact keys, ids assigned in stream order (the protocol's); true: hashed into
 *     {@code buckets} fixed rows
 * @param admission a value gets its own row after it was seen this many times; before that it
 *     shares the field's "rare" row (1 = off)
 * @param ttlEvents rows of values not seen for this many events are freed (0 = off)
 * @param capacity at most this many rows per field; the least recently seen value is evicted (0 =
 *     off: the table may grow without bound)
 */
public record EmbeddingSpec(
    boolean hashed, int buckets, int admission, long ttlEvents, int capacity) {
  /**
   * The capacity of an exact vocabulary that does not set one: a stream with ever new ids (user
   * ids, session ids) must not grow a model without bound by default. A million rows per field is
   * far above the datasets of the protocol (so their results do not change) and costs at most 24
   * bytes × dim per row (384 MB per field at dim 16: values, optimiser accumulators and gradients,
   * double precision).
   */
  public static final int DEFAULT_CAPACITY = 1_000_000;

  /** Exact keys, no admission threshold, no TTL, {@link #DEFAULT_CAPACITY}. */
  public static final EmbeddingSpec EXACT = new EmbeddingSpec(false, 0, 1, 0, DEFAULT_CAPACITY);

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
      throw new SpecException(
          "embedding: admission, ttl_events and capacity apply to exact keys only");
    }
  }

  public boolean evicts() {
    return ttlEvents > 0 || capacity > 0;
  }
}
