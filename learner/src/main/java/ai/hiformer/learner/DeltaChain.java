package ai.hiformer.learner;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.snapshot.ChangedRows;
import ai.hiformer.features.snapshot.ModelDelta;
import ai.hiformer.model.train.Learner;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Incremental sync of one model: the full snapshot the current chain of deltas builds on, the
 * chain's position, and the deltas captured since they were last handed over. Its position is part
 * of the runtime's state.
 */
final class DeltaChain {
  private long base;
  private long sequence;
  private long lastVersion = -1; // model version at the last delta or full snapshot
  private final List<ModelDelta> captured = new ArrayList<>();

  /**
   * A full snapshot of {@code version} was captured: later deltas build on it (the tables' change
   * sets restart).
   */
  void restart(Learner learner, long version) {
    for (var t : learner.model().tables()) {
      ChangedRows.of(t).drain(ChangedRows.Reader.SNAPSHOT_DELTAS);
    }
    base = version;
    sequence = 0;
    lastVersion = version;
  }

  /**
   * Whether a delta of {@code version} would carry anything: a base exists and something was
   * learned since.
   */
  boolean wouldCapture(long version) {
    return base != 0 && version != lastVersion;
  }

  void capture(Learner learner, FeatureEncoder encoder, long version, boolean withDense) {
    sequence++;
    lastVersion = version;
    captured.add(ModelDelta.capture(learner, encoder, base, sequence, withDense));
  }

  List<ModelDelta> drain() {
    if (captured.isEmpty()) {
      return List.of();
    }
    List<ModelDelta> out = List.copyOf(captured);
    captured.clear();
    return out;
  }

  void writeTo(DataOutputStream out) throws IOException {
    out.writeLong(base);
    out.writeLong(sequence);
    out.writeLong(lastVersion);
  }

  void readFrom(DataInputStream in) throws IOException {
    base = in.readLong();
    sequence = in.readLong();
    lastVersion = in.readLong();
  }
}
