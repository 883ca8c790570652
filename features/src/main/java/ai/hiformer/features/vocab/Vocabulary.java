package ai.hiformer.features.vocab;

import ai.hiformer.features.spec.EmbeddingSpec;

/**
 * Maps one field's values to embedding row ids. Id 0 is reserved (OOV / padding, a frozen zero
 * row). Implementations are single-threaded and deterministic in the order of calls.
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

  /**
   * Values evicted (by capacity or TTL) since this vocabulary was created or restored; 0 if it
   * never evicts.
   */
  default long evictions() {
    return 0;
  }

  /** Writes everything this vocabulary learned from the stream. */
  void writeTo(java.io.DataOutputStream out) throws java.io.IOException;

  /** Replaces this vocabulary's state with what {@link #writeTo} wrote (same configuration). */
  void readFrom(java.io.DataInputStream in) throws java.io.IOException;

  /**
   * The state that is not saved entry by entry: {@link #writeTo} for vocabularies without entries;
   * an exact vocabulary leaves its values to {@link #drainUnsaved}. Read back by {@link #readFrom},
   * then the saved entries by {@link #restoreEntry} and {@link #finishRestore}.
   */
  default void writeHead(java.io.DataOutputStream out) throws java.io.IOException {
    writeTo(out);
  }

  /** Where entries saved one by one go: the value of row id {@code id} (empty: the id is free). */
  @FunctionalInterface
  interface EntrySink {
    void put(int id, byte[] value) throws Exception;
  }

  /** Saves the entries changed since the last call; returns how many. */
  default int drainUnsaved(EntrySink sink) throws Exception {
    return 0;
  }

  /** Restores one entry that {@link #drainUnsaved} saved (after {@link #readFrom} of a head). */
  default void restoreEntry(int id, byte[] value) throws java.io.IOException {
    throw new java.io.IOException("this vocabulary saves no entries apart");
  }

  /** Completes a restore from a head and its saved entries, checking that none is missing. */
  default void finishRestore() throws java.io.IOException {}

  /** Where id owners go: {@code live} false for an id that belongs to no value now. */
  @FunctionalInterface
  interface OwnerSink {
    void owner(int id, boolean live, long fingerprint);
  }

  /**
   * Reports the ids whose owner changed since the last call (none for vocabularies without
   * entries).
   */
  default void drainUnpublished(OwnerSink sink) {}

  /** Reports every id that belongs to a value now (a full model update). */
  default void forEachOwner(OwnerSink sink) {}

  /** Reports every id in {@code [fromId, toId)} that belongs to a value now (a base slice). */
  default void forEachOwner(int fromId, int toId, OwnerSink sink) {
    forEachOwner(
        (id, live, fp) -> {
          if (id >= fromId && id < toId) {
            sink.owner(id, live, fp);
          }
        });
  }

  /** On a read-only replica: {@code id} now belongs to the value with this fingerprint. */
  default void assign(int id, long fingerprint) {
    throw new UnsupportedOperationException("this vocabulary has no entries to assign");
  }

  /** On a read-only replica: {@code id} belongs to no value now. */
  default void release(int id) {
    throw new UnsupportedOperationException("this vocabulary has no entries to release");
  }

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
