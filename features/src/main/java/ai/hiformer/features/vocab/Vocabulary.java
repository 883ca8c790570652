package ai.hiformer.features.vocab;

import ai.hiformer.features.spec.EmbeddingSpec;

/**
 * Maps one field's values to embedding row ids. Id 0 is reserved (OOV / padding, a frozen zero row).
 * Implementations are single-threaded and deterministic in the order of calls.
 */
public interface Vocabulary {
  /**
   * The row id for {@code key} at stream position {@code position}, assigning a new one when the
   * scheme does (exact keys: ids in order of first appearance, 1, 2, …).
   */
  int idFor(String key, long position);

  /** The id of a key without changing anything: 0 when unknown (serving and offline evaluation). */
  int lookup(String key);

  /** One past the largest id handed out so far (the table's row count). */
  int rowCount();

  /** Values evicted (by capacity or TTL) since this vocabulary was created or restored; 0 if it never evicts. */
  default long evictions() {
    return 0;
  }

  /** Writes everything this vocabulary learned from the stream. */
  void writeTo(java.io.DataOutputStream out) throws java.io.IOException;

  /** Replaces this vocabulary's state with what {@link #writeTo} wrote (same configuration). */
  void readFrom(java.io.DataInputStream in) throws java.io.IOException;

  /** Called when a row id is handed to a new key after its old key was evicted. */
  interface RecycleListener {
    void recycled(int id, long generation);
  }

  static Vocabulary create(EmbeddingSpec spec, RecycleListener listener) {
    if (spec.hashed()) {
      return new HashedVocabulary(spec.buckets());
    }
    return new ExactVocabulary(spec.admission(), spec.ttlEvents(), spec.capacity(), listener);
  }
}
