package ai.hiformer.features.vocab;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exact ("collisionless") keys: each value gets its own row, ids in order of first appearance
 * (docs/PROTOCOL.md §1.1), with the options of docs/DESIGN.md §4:
 * <ul>
 *   <li>admission k &gt; 1: a value gets its own row only on its k-th sighting; before that it uses the
 *   shared "rare" row, id 1 (so real ids start at 2);</li>
 *   <li>TTL: values not seen for {@code ttlEvents} stream positions are evicted;</li>
 *   <li>capacity: at most {@code capacity} admitted values; the least recently seen is evicted.</li>
 * </ul>
 * Evicted ids are reused for new values; the {@link Vocabulary.RecycleListener} is told so the model can
 * re-initialise the row. With all options off this is a plain insertion-ordered dictionary.
 */
public final class ExactVocabulary implements Vocabulary {
  public static final int RARE_ID = 1;

  private final int admission;
  private final long ttl;
  private final int capacity;
  private final RecycleListener listener;
  private final boolean evicts;
  // In recency order when evicting (idFor moves a value seen again to the end), so the eldest entry is the least
  // recently seen. Not access-ordered: lookup() must not change the map, so that scorers can share it.
  private final LinkedHashMap<String, Entry> ids;
  private final Map<String, Integer> pendingCounts = new HashMap<>();
  private final ArrayDeque<Integer> freeIds = new ArrayDeque<>();
  private int next;
  private long generation;
  private long evictions; // since this object was created (not persisted: a metric, reset by a restart)

  private static final class Entry {
    final int id;
    long lastSeen;

    Entry(int id, long lastSeen) {
      this.id = id;
      this.lastSeen = lastSeen;
    }
  }

  public ExactVocabulary(int admission, long ttlEvents, int capacity, RecycleListener listener) {
    this.admission = admission;
    this.ttl = ttlEvents;
    this.capacity = capacity;
    this.listener = listener;
    this.evicts = ttlEvents > 0 || capacity > 0;
    this.ids = new LinkedHashMap<>(1024, 0.75f, false);
    this.next = admission > 1 ? RARE_ID + 1 : 1;
  }

  @Override
  public int idFor(String key, long position) {
    Entry e = ids.get(key);
    if (e != null) {
      e.lastSeen = position;
      if (evicts) {
        ids.remove(key);
        ids.put(key, e); // now the most recently seen
      }
      return e.id;
    }
    if (admission > 1) {
      int seen = pendingCounts.merge(key, 1, Integer::sum);
      if (seen < admission) {
        return RARE_ID;
      }
      pendingCounts.remove(key);
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
    }
    ids.put(key, new Entry(id, position));
    return id;
  }

  private void evict(long position) {
    Iterator<Map.Entry<String, Entry>> it = ids.entrySet().iterator();
    while (it.hasNext()) {
      Entry eldest = it.next().getValue();
      boolean expired = ttl > 0 && position - eldest.lastSeen > ttl;
      boolean full = capacity > 0 && ids.size() >= capacity;
      if (!expired && !full) {
        return;
      }
      freeIds.add(eldest.id);
      it.remove();
      evictions++;
    }
  }

  @Override
  public int lookup(String key) {
    Entry e = ids.get(key);
    return e == null ? 0 : e.id;
  }

  @Override
  public int rowCount() {
    return next;
  }

  @Override
  public void writeTo(java.io.DataOutputStream out) throws java.io.IOException {
    out.writeInt(next);
    out.writeLong(generation);
    out.writeInt(ids.size());
    for (Map.Entry<String, Entry> e : ids.entrySet()) { // iteration order = recency order when evicting
      out.writeUTF(e.getKey());
      out.writeInt(e.getValue().id);
      out.writeLong(e.getValue().lastSeen);
    }
    out.writeInt(pendingCounts.size());
    for (Map.Entry<String, Integer> e : pendingCounts.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeInt(e.getValue());
    }
    out.writeInt(freeIds.size());
    for (int id : freeIds) {
      out.writeInt(id);
    }
  }

  @Override
  public void readFrom(java.io.DataInputStream in) throws java.io.IOException {
    ids.clear();
    pendingCounts.clear();
    freeIds.clear();
    next = in.readInt();
    generation = in.readLong();
    int first = admission > 1 ? RARE_ID + 1 : 1;
    if (next < first) {
      throw new java.io.IOException("vocabulary state: next id " + next + " is below " + first);
    }
    for (int i = 0, n = in.readInt(); i < n; i++) {
      String key = in.readUTF();
      int id = in.readInt();
      if (id < first || id >= next) {
        throw new java.io.IOException("vocabulary state: id " + id + " of a value is outside [" + first + ", " + next
            + ")");
      }
      ids.put(key, new Entry(id, in.readLong()));
    }
    for (int i = 0, n = in.readInt(); i < n; i++) {
      String key = in.readUTF();
      pendingCounts.put(key, in.readInt());
    }
    for (int i = 0, n = in.readInt(); i < n; i++) {
      int id = in.readInt();
      if (id < first || id >= next) {
        throw new java.io.IOException("vocabulary state: free id " + id + " is outside [" + first + ", " + next + ")");
      }
      freeIds.add(id);
    }
  }

  @Override
  public long evictions() {
    return evictions;
  }

  /** Number of values that hold their own row now. */
  public int size() {
    return ids.size();
  }
}
