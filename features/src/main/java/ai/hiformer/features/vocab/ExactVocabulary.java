package ai.hiformer.features.vocab;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Exact ("collisionless") keys: each value gets its own row, ids in order of first appearance
 * (docs/PROTOCOL.md §1.1), with the options of docs/ARCHITECTURE.md §4:
 *
 * <ul>
 *   <li>admission k &gt; 1: a value gets its own row only on its k-th sighting; before that it uses
 *       the shared "rare" row, id 1 (so real ids start at 2);
 *   <li>TTL: values not seen for {@code ttlEvents} stream positions are evicted;
 *   <li>capacity: at most {@code capacity} admitted values; the least recently seen is evicted.
 * </ul>
 *
 * Evicted ids are reused for new values; the {@link Vocabulary.RecycleListener} is told so the
 * model can re-initialise the row. With all options off this is a plain insertion-ordered
 * dictionary.
 *
 * <p><b>Memory.</b> A value is known by its 64-bit fingerprint (FNV-1a of its UTF-8 bytes), not its
 * text, in flat arrays indexed by id: fingerprint and last-seen position (16 bytes), the recency
 * links when evicting (8), and an open-addressing slot (4 bytes at a load of at most 0.6): about 30
 * bytes a value whatever its length, where a map of strings cost well over 100. Two values share a
 * row only if their fingerprints collide: about n²/2^65, 3·10⁻⁶ for 10⁷ values.
 *
 * <p><b>Recency</b> is the order (last seen, id): the least recent value is evicted first. Keeping
 * ties in id order (values seen at the same position, as a multi-valued field's) makes the order a
 * function of the entries alone, so state saved entry by entry ({@link #drainUnsaved}) restores to
 * the same decisions.
 */
public final class ExactVocabulary implements Vocabulary {
  public static final int RARE_ID = 1;
  static final int WHOLE_FORMAT =
      -2; // writeTo: every entry inline (-2, so never a v1 "next" id count)
  static final int HEAD_FORMAT = -3; // writeHead: entries saved apart

  private final int admission;
  private final long ttl;
  private final int capacity;
  private final RecycleListener listener;
  private final boolean evicts;
  final int firstId;

  private final FingerprintIndex index = new FingerprintIndex(); // live values by fingerprint
  long[] fingerprint = new long[64]; // by id
  long[] lastSeen = new long[64]; // by id
  private final RecencyList recency; // when evicting; null otherwise
  final Map<Long, Integer> pendingCounts = new HashMap<>();
  final ArrayDeque<Integer> freeIds = new ArrayDeque<>();
  private final BitSet unsaved =
      new BitSet(); // ids whose entry changed since the last drainUnsaved
  private final BitSet unpublished =
      new BitSet(); // the same since the last drainUnpublished (model updates)
  int next;
  long generation;
  private long
      evictions; // since this object was created (not persisted: a metric, reset by a restart)
  // Entries saved apart, collected during a restore until finishRestore; null when none is due.
  SavedEntries restoring;

  public ExactVocabulary(int admission, long ttlEvents, int capacity, RecycleListener listener) {
    this.admission = admission;
    this.ttl = ttlEvents;
    this.capacity = capacity;
    this.listener = listener;
    this.evicts = ttlEvents > 0 || capacity > 0;
    this.firstId = admission > 1 ? RARE_ID + 1 : 1;
    this.next = firstId;
    this.recency = evicts ? new RecencyList() : null;
  }

  /** The fingerprint a value is known by: 64-bit FNV-1a of its UTF-8 bytes. */
  public static long fingerprintOf(String key) {
    return HashedVocabulary.fnv1a64(key);
  }

  @Override
  public int idFor(String key, long position) {
    long fp = fingerprintOf(key);
    int known = index.get(fp, fingerprint);
    if (known != 0) {
      touch(known, position);
      return known;
    }
    if (admission > 1) {
      int seen = pendingCounts.merge(fp, 1, Integer::sum);
      if (seen < admission) {
        return RARE_ID;
      }
      pendingCounts.remove(fp);
    }
    if (evicts) {
      evict(position);
    }
    int id;
    if (!freeIds.isEmpty()) {
      id = freeIds.poll();
      generation++;
      if (listener != null) {
        listener.recycled(id, generation);
      }
    } else {
      id = next++;
      ensureId(id);
    }
    fingerprint[id] = fp;
    lastSeen[id] = Long.MIN_VALUE;
    index.put(id, fingerprint);
    unpublished.set(id);
    touch(id, position);
    return id;
  }

  void ensureId(int id) {
    if (id >= fingerprint.length) {
      int n = Math.max(id + 1, fingerprint.length + (fingerprint.length >> 1));
      fingerprint = Arrays.copyOf(fingerprint, n);
      lastSeen = Arrays.copyOf(lastSeen, n);
      if (evicts) {
        recency.ensure(n);
      }
    }
  }

  /**
   * Records a sighting of {@code id} at {@code position}: its entry changed, and it moves in
   * recency order.
   */
  private void touch(int id, long position) {
    unsaved.set(id);
    if (!evicts) {
      lastSeen[id] = position;
      return;
    }
    if (lastSeen[id] != Long.MIN_VALUE) {
      recency.unlink(id);
    }
    lastSeen[id] = position;
    recency.linkInOrder(id, lastSeen);
  }

  /** Evicts expired values, and the least recent while full; returns whether any went. */
  private boolean evict(long position) {
    boolean any = false;
    while (recency.eldest() != 0) {
      int id = recency.eldest();
      boolean expired = ttl > 0 && position - lastSeen[id] > ttl;
      boolean full = capacity > 0 && index.size() >= capacity;
      if (!expired && !full) {
        break;
      }
      recency.unlink(id);
      index.remove(fingerprint[id], fingerprint);
      lastSeen[id] = Long.MIN_VALUE;
      freeIds.add(id);
      unsaved.set(id);
      unpublished.set(id);
      evictions++;
      any = true;
    }
    return any;
  }

  @Override
  public int lookup(String key) {
    return index.get(fingerprintOf(key), fingerprint);
  }

  @Override
  public int rowCount() {
    return next;
  }

  /** Every live id in recency order (eldest first) when evicting, else in id order. */
  int[] liveIds() {
    int[] ids = new int[index.size()];
    int k = 0;
    if (evicts) {
      for (int id = recency.eldest(); id != 0; id = recency.newer(id)) {
        ids[k++] = id;
      }
    } else {
      for (int id = firstId; id < next; id++) {
        if (lastSeen[id] != Long.MIN_VALUE) {
          ids[k++] = id;
        }
      }
    }
    return ids;
  }

  @Override
  public void writeTo(DataOutputStream out) throws IOException {
    VocabularyFormat.write(this, out, false);
  }

  /** {@link #writeTo} without the entries, which are saved apart through {@link #drainUnsaved}. */
  @Override
  public void writeHead(DataOutputStream out) throws IOException {
    VocabularyFormat.write(this, out, true);
  }

  @Override
  public void readFrom(DataInputStream in) throws IOException {
    VocabularyFormat.read(this, in);
  }

  /**
   * Saves the entries changed since the last call: value {@code (fingerprint, last seen)}, 16
   * bytes, or an empty array for an id that is free now. Returns how many.
   */
  @Override
  public int drainUnsaved(EntrySink sink) throws Exception {
    int n = 0;
    for (int id = unsaved.nextSetBit(0); id >= 0; id = unsaved.nextSetBit(id + 1)) {
      if (lastSeen[id] == Long.MIN_VALUE) {
        sink.put(id, new byte[0]);
      } else {
        sink.put(
            id,
            java.nio.ByteBuffer.allocate(16)
                .putLong(fingerprint[id])
                .putLong(lastSeen[id])
                .array());
      }
      n++;
    }
    unsaved.clear();
    return n;
  }

  /**
   * Ids whose owner changed since the last call (given to a new value, or freed by eviction),
   * ascending: for model updates to read-only replicas, which only need which value owns which id.
   */
  @Override
  public void drainUnpublished(OwnerSink sink) {
    for (int id = unpublished.nextSetBit(0); id >= 0; id = unpublished.nextSetBit(id + 1)) {
      boolean live = lastSeen[id] != Long.MIN_VALUE;
      sink.owner(id, live, live ? fingerprint[id] : 0);
    }
    unpublished.clear();
  }

  @Override
  public void forEachOwner(OwnerSink sink) {
    forEachOwner(firstId, next, sink);
  }

  @Override
  public void forEachOwner(int fromId, int toId, OwnerSink sink) {
    for (int id = Math.max(firstId, fromId), end = Math.min(next, toId); id < end; id++) {
      if (lastSeen[id] != Long.MIN_VALUE) {
        sink.owner(id, true, fingerprint[id]);
      }
    }
  }

  /**
   * On a replica: {@code id} now belongs to the value with fingerprint {@code fp} (replacing any
   * owner).
   */
  @Override
  public void assign(int id, long fp) {
    if (id < firstId) {
      throw new IllegalArgumentException("vocabulary update: id " + id + " is below " + firstId);
    }
    release(id);
    int old = index.get(fp, fingerprint);
    if (old != 0) { // the value moved to a new id (its old one was evicted and reused)
      index.remove(fp, fingerprint);
      lastSeen[old] = Long.MIN_VALUE;
    }
    if (id >= next) {
      ensureId(id);
      Arrays.fill(lastSeen, next, id + 1, Long.MIN_VALUE);
      next = id + 1;
    }
    fingerprint[id] = fp;
    index.put(id, fingerprint);
    lastSeen[id] = 0;
  }

  /** On a replica: {@code id} belongs to no value now. */
  @Override
  public void release(int id) {
    if (id < next && lastSeen[id] != Long.MIN_VALUE) {
      index.remove(fingerprint[id], fingerprint);
      lastSeen[id] = Long.MIN_VALUE;
    }
  }

  void clear() {
    index.clear();
    if (evicts) {
      recency.clear();
    }
    pendingCounts.clear();
    freeIds.clear();
    unsaved.clear();
    restoring = null;
  }

  void add(int id, long fp, long seen) throws IOException {
    if (id < firstId || id >= next) {
      throw new IOException(
          "vocabulary state: id " + id + " of a value is outside [" + firstId + ", " + next + ")");
    }
    if (lastSeen[id] != Long.MIN_VALUE || index.get(fp, fingerprint) != 0) {
      throw new IOException("vocabulary state: id " + id + " or its value is listed twice");
    }
    fingerprint[id] = fp;
    index.put(id, fingerprint);
    lastSeen[id] = seen;
    if (evicts) {
      recency.linkInOrder(id, lastSeen);
    }
  }

  @Override
  public void restoreEntry(int id, byte[] value) throws IOException {
    if (restoring == null) {
      throw new IOException(
          "vocabulary state: an entry saved apart, but the state's head holds every entry");
    }
    restoring.add(id, value);
  }

  @Override
  public void finishRestore() throws IOException {
    if (restoring == null) {
      return;
    }
    SavedEntries entries = restoring;
    restoring = null;
    BitSet free = new BitSet();
    freeIds.forEach(free::set);
    entries.replay(free, this::add);
    int expected = next - firstId - freeIds.size();
    if (index.size() != expected) {
      throw new IOException(
          "vocabulary state: " + index.size() + " values restored, the head counts " + expected);
    }
  }

  @Override
  public long evictions() {
    return evictions;
  }

  /** Number of values that hold their own row now. */
  public int size() {
    return index.size();
  }

  /** Heap bytes of the value index (slots, per-id arrays), for memory reports. */
  public long indexBytes() {
    return index.bytes() + 16L * fingerprint.length + (evicts ? recency.bytes() : 0);
  }
}
