package ai.hiformer.jobs.operators;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.OperatorStateStore;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The learners' model heads ({@link ai.hiformer.learner.ModelRuntime#headBytes()}: dense weights,
 * optimiser moments, encoder, counters; about 2 MB for MovieLens, 7 MB for Criteo at d = 16) kept
 * in operator state, one (model key, head) entry per model this subtask learns.
 *
 * <p>Why not keyed state, as the rows are: a head changes at every step, so it is rewritten at
 * every checkpoint. In keyed state each rewrite went through RocksDB's memtable and, with changelog
 * checkpoints, was appended to the changelog until the next materialisation, so a checkpoint's size
 * grew by one head per checkpoint between materialisations (25 → 45 MB and back every 10 s in an
 * hour's soak). Operator state is written whole at each checkpoint: every checkpoint holds one copy
 * of each head, and its size stays flat.
 *
 * <p>The state is redistributed as a union: on restore every subtask receives every head and keeps
 * those whose key falls in its key-group range, so a rescaled job finds each head where its rows
 * are. Heads that an earlier version saved in keyed state ({@link ModelFunction#HEAD}) are still
 * read, and cleared from there once written here.
 */
public final class HeadStore {
  private static final TypeInformation<byte[]> BYTES =
      PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO;

  /** The type of {@link #HEADS}' entries. */
  public static final TypeInformation<Tuple2<String, byte[]>> ENTRY =
      Types.TUPLE(Types.STRING, BYTES);

  /** The operator state that holds the heads: (model key, head bytes). */
  public static final ListStateDescriptor<Tuple2<String, byte[]>> HEADS =
      new ListStateDescriptor<>("model-heads", ENTRY);

  private final ListState<Tuple2<String, byte[]>> state;
  private final Map<String, byte[]> heads = new HashMap<>();
  private final Set<String> stillInKeyedState = new HashSet<>();

  /**
   * @param task this subtask: its key groups are those of its index, parallelism and maximum
   */
  HeadStore(OperatorStateStore store, TaskInfo task, boolean restored) throws Exception {
    state = store.getUnionListState(HEADS);
    int keyGroups = task.getMaxNumberOfParallelSubtasks();
    KeyGroupRange range =
        KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(
            keyGroups, task.getNumberOfParallelSubtasks(), task.getIndexOfThisSubtask());
    if (restored) {
      for (Tuple2<String, byte[]> saved : state.get()) {
        if (range.contains(KeyGroupRangeAssignment.assignToKeyGroup(saved.f0, keyGroups))) {
          heads.put(saved.f0, saved.f1);
        }
      }
    }
  }

  /**
   * The saved head of {@code key}, or null for a new model; {@code keyed} is the key's {@link
   * ModelFunction#HEAD}, read when this store has none (state saved by an earlier version).
   */
  byte[] read(String key, ValueState<byte[]> keyed) throws Exception {
    byte[] head = heads.get(key);
    if (head != null) {
      return head;
    }
    head = keyed.value();
    if (head != null) {
      stillInKeyedState.add(key);
    }
    return head;
  }

  /** Keeps {@code head} as {@code key}'s head for the next checkpoint. */
  void write(String key, byte[] head, ValueState<byte[]> keyed) {
    heads.put(key, head);
    if (stillInKeyedState.remove(key)) {
      keyed.clear();
    }
  }

  /** Writes every head kept into the operator state, for the checkpoint being taken. */
  void snapshot() throws Exception {
    List<Tuple2<String, byte[]>> all = new ArrayList<>(heads.size());
    heads.forEach((key, head) -> all.add(Tuple2.of(key, head)));
    state.update(all);
  }

  /** The heads as the last checkpoint wrote them, by key (for tests). */
  Map<String, byte[]> saved() throws Exception {
    Map<String, byte[]> out = new java.util.TreeMap<>();
    for (Tuple2<String, byte[]> t : state.get()) {
      out.put(t.f0, t.f1);
    }
    return out;
  }
}
