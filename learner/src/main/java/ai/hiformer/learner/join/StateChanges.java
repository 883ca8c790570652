package ai.hiformer.learner.join;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The requests of a {@link PendingExamples} changed since its caller last wrote them to its state:
 * an entry added and gone between two checkpoints never reaches the state. Not thread-safe.
 */
final class StateChanges {
  private final Set<String> changed = new HashSet<>();

  /** {@code requestId}'s entry changed (or was added). */
  void touched(String requestId) {
    changed.add(requestId);
  }

  /** {@code requestId}'s entry is gone: deleted in the state if it was written there. */
  void gone(String requestId, boolean persisted) {
    if (persisted) {
      changed.add(requestId);
    } else {
      changed.remove(requestId);
    }
  }

  boolean any() {
    return !changed.isEmpty();
  }

  /**
   * The changes, as the caller's state should hold them: an encoded entry to put (now marked
   * persisted), or null to delete.
   */
  List<PendingExamples.Change> drain(Map<String, PendingEntry> entries) {
    List<PendingExamples.Change> out = new ArrayList<>(changed.size());
    for (String requestId : changed) {
      PendingEntry e = entries.get(requestId);
      if (e != null) {
        out.add(new PendingExamples.Change(requestId, e.encode()));
        e.persisted = true;
      } else {
        out.add(new PendingExamples.Change(requestId, null));
      }
    }
    changed.clear();
    return out;
  }
}
