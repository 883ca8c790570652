package ai.hiformer.jobs.stream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * The impressions whose join window closed with tasks still unlabelled, kept until their
 * attribution deadline ({@code join.attribution-window-ms} after the impression) so that a positive
 * arriving late can be learned once more ({@code join.mode = window-fnw}, docs/DELAYED_LABELS.md).
 *
 * <p>Unlike the join's waiting impressions, which live in memory for a window of minutes, these may
 * wait for days: they go straight to keyed state (RocksDB, on disk), one entry per request: its
 * attribution deadline, the tasks still open and the impression's bytes ({@link ImpressionCodec}).
 * A label is looked up here only when the join does not hold its request.
 *
 * <p>Expiry without a timer per request: impressions enter in the order their windows close, so
 * their deadlines (the window's deadline plus the difference of the two windows) never decrease,
 * and a queue of request ids in chunks ({@code attribution-queue}, chunk number → ids) expires them
 * in order. The chunk being filled is in memory and is written at each checkpoint, with the queue's
 * position (head, tail, the head chunk's last deadline) and the count and bytes held.
 *
 * <p>All calls run with the model as the current key. Not thread-safe.
 */
final class LateAttribution {
  /** Ids per chunk before a new one starts (a chunk also ends at every checkpoint). */
  static final int CHUNK = 1024;

  /** Per model: the queue's position and what is held (also written to state). */
  private static final class Queue {
    long head; // first chunk still in state
    long tail; // the chunk being filled, in memory
    long headDue = Long.MAX_VALUE; // the head chunk's last deadline (MAX: empty)
    long held;
    long heldBytes;
    final List<String> tailIds = new ArrayList<>();
    long tailDue = Long.MIN_VALUE;
    boolean dirty;
  }

  private final long extraMillis;
  private final MapState<String, byte[]> entries;
  private final MapState<Long, byte[]> chunks;
  private final ValueState<byte[]> position;
  private final Map<String, Queue> queues = new HashMap<>();
  private long expired;
  private long latePositives;
  private long afterAttribution;

  /**
   * @param windowMillis the join window W
   * @param attributionMillis A ≥ W: how long after its impression a positive still counts
   */
  LateAttribution(RuntimeContext context, long windowMillis, long attributionMillis) {
    this.extraMillis = attributionMillis - windowMillis;
    entries =
        context.getMapState(
            new MapStateDescriptor<>(
                "attributable-impressions",
                Types.STRING,
                PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    chunks =
        context.getMapState(
            new MapStateDescriptor<>(
                "attribution-queue",
                Types.LONG,
                PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    position =
        context.getState(
            new ValueStateDescriptor<>(
                "attribution-position", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
  }

  /**
   * The impression of {@code requestId} left its window at {@code windowDeadline} with the tasks of
   * {@code open} unlabelled: held until {@code windowDeadline} plus A − W.
   */
  void hold(String model, String requestId, long windowDeadline, long open, byte[] impression)
      throws Exception {
    Queue q = queue(model);
    // Saturating: the end of a bounded input closes windows at the largest time.
    long deadline =
        windowDeadline > Long.MAX_VALUE - extraMillis
            ? Long.MAX_VALUE
            : windowDeadline + extraMillis;
    byte[] old = entries.get(requestId);
    if (old != null) { // the same request again after its window: the later one counts
      q.held--;
      q.heldBytes -= old.length;
    }
    byte[] value =
        ByteBuffer.allocate(16 + impression.length)
            .putLong(deadline)
            .putLong(open)
            .put(impression)
            .array();
    entries.put(requestId, value);
    q.held++;
    q.heldBytes += value.length;
    q.tailIds.add(requestId);
    q.tailDue = Math.max(q.tailDue, deadline);
    q.dirty = true;
    if (q.tailIds.size() == CHUNK) {
      closeTail(q);
    }
  }

  /**
   * A positive of task {@code task} at {@code timeMillis} for a request the join does not hold: if
   * its impression is held here with the task open and the label is within the attribution
   * deadline, the task is decided and the impression's bytes are returned, to be learned again;
   * otherwise null (a label after the deadline is counted).
   */
  byte[] latePositive(String model, String requestId, int task, long timeMillis) throws Exception {
    byte[] value = decide(model, requestId, task, timeMillis);
    if (value == null) {
      return null;
    }
    latePositives++;
    return java.util.Arrays.copyOfRange(value, 16, value.length);
  }

  /**
   * A negative of task {@code task} for a request the join does not hold: if its impression is held
   * here with the task open, the task is decided (nothing more to learn); returns whether the label
   * was taken.
   */
  boolean lateNegative(String model, String requestId, int task, long timeMillis) throws Exception {
    return decide(model, requestId, task, timeMillis) != null;
  }

  /**
   * Closes {@code task} of a held impression; its value, or null if it was not open or too late.
   */
  private byte[] decide(String model, String requestId, int task, long timeMillis)
      throws Exception {
    byte[] value = entries.get(requestId);
    if (value == null) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(value);
    long deadline = b.getLong();
    long open = b.getLong();
    long bit = 1L << task;
    if ((open & bit) == 0) {
      return null;
    }
    if (timeMillis > deadline) {
      afterAttribution++;
      return null;
    }
    Queue q = queue(model);
    open &= ~bit;
    if (open == 0) {
      entries.remove(requestId);
      q.held--;
      q.heldBytes -= value.length;
    } else {
      entries.put(requestId, ByteBuffer.allocate(value.length).put(value).putLong(8, open).array());
    }
    q.dirty = true;
    return value;
  }

  /** Removes what is past its deadline at {@code nowMillis}, chunk by chunk. */
  void expire(String model, long nowMillis) throws Exception {
    Queue q = queue(model);
    if (q.head == q.tail && !q.tailIds.isEmpty() && q.tailDue <= nowMillis) {
      closeTail(q); // everything held is due: the chunk in memory too
    }
    while (q.head < q.tail && q.headDue <= nowMillis) {
      byte[] chunk = chunks.get(q.head);
      for (String requestId : readIds(chunk)) {
        byte[] value = entries.get(requestId);
        if (value != null && ByteBuffer.wrap(value).getLong() <= nowMillis) {
          entries.remove(requestId);
          q.held--;
          q.heldBytes -= value.length;
          expired++;
        }
      }
      chunks.remove(q.head);
      q.head++;
      q.headDue = q.head < q.tail ? lastDue(chunks.get(q.head)) : Long.MAX_VALUE;
      q.dirty = true;
    }
  }

  /** When {@link #expire} has something to do next, or {@code Long.MAX_VALUE}. */
  long nextDue(String model) throws Exception {
    Queue q = queue(model);
    return q.head < q.tail ? q.headDue : q.tailIds.isEmpty() ? Long.MAX_VALUE : q.tailDue;
  }

  /** Writes the chunk in memory and the position, if they changed (at a checkpoint). */
  void writeBack(String model) throws Exception {
    Queue q = queues.get(model);
    if (q == null || !q.dirty) {
      return;
    }
    if (!q.tailIds.isEmpty()) {
      closeTail(q);
    }
    position.update(
        ByteBuffer.allocate(40)
            .putLong(q.head)
            .putLong(q.tail)
            .putLong(q.headDue)
            .putLong(q.held)
            .putLong(q.heldBytes)
            .array());
    q.dirty = false;
  }

  /** Impressions held over every model of this subtask. */
  long held() {
    long n = 0;
    for (Queue q : queues.values()) {
      n += q.held;
    }
    return n;
  }

  /** Bytes held (values, without the request-id keys) over every model of this subtask. */
  long heldBytes() {
    long n = 0;
    for (Queue q : queues.values()) {
      n += q.heldBytes;
    }
    return n;
  }

  /** Counts since the last call: {expired, late positives, labels after the deadline}. */
  long[] drainCounts() {
    long[] c = {expired, latePositives, afterAttribution};
    expired = 0;
    latePositives = 0;
    afterAttribution = 0;
    return c;
  }

  private Queue queue(String model) throws Exception {
    Queue q = queues.get(model);
    if (q == null) {
      q = new Queue();
      byte[] saved = position.value();
      if (saved != null) {
        ByteBuffer b = ByteBuffer.wrap(saved);
        q.head = b.getLong();
        q.tail = b.getLong();
        q.headDue = b.getLong();
        q.held = b.getLong();
        q.heldBytes = b.getLong();
      }
      queues.put(model, q);
    }
    return q;
  }

  private void closeTail(Queue q) throws Exception {
    chunks.put(q.tail, writeIds(q.tailIds, q.tailDue));
    if (q.head == q.tail) {
      q.headDue = q.tailDue;
    }
    q.tail++;
    q.tailIds.clear();
    q.tailDue = Long.MIN_VALUE;
    q.dirty = true;
  }

  /** A chunk: its last deadline, the count, then the ids. */
  private static byte[] writeIds(List<String> ids, long lastDue) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + ids.size() * 24);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeLong(lastDue);
      out.writeInt(ids.size());
      for (String id : ids) {
        out.writeUTF(id);
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long lastDue(byte[] chunk) {
    return ByteBuffer.wrap(chunk).getLong();
  }

  private static List<String> readIds(byte[] chunk) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(chunk));
    in.readLong();
    int n = in.readInt();
    List<String> ids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ids.add(in.readUTF());
    }
    return ids;
  }
}
