package ai.hiformer.learner;

import ai.hiformer.features.snapshot.ChangedRows;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.Batch;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The binary form of a {@link ModelRuntime} ({@link ModelRuntime#STATE_FORMAT}): the feature spec,
 * the learner and the encoder (whole, or as heads whose rows and vocabulary values are saved
 * apart), the counters, the delta chain's position, the pending micro-batch, the metrics, the
 * positives learned late (optional) and the quality gate (optional), in that order.
 */
final class RuntimeState {
  private RuntimeState() {}

  /**
   * The state as bytes, written through {@code bytes} (reset first; its array is kept for the next
   * call).
   */
  static byte[] write(ModelRuntime r, boolean withRows, StateBuffer bytes) {
    try {
      bytes.reset();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(ModelRuntime.STATE_FORMAT);
      byte[] specBytes = r.spec.json().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      out.writeInt(specBytes.length);
      out.write(specBytes); // so that the state alone is enough to export a snapshot
      int lengthAt = bytes.size();
      out.writeInt(0); // the learner section's length, filled in once it is written
      if (withRows) {
        LearnerCodec.write(r.learner, bytes);
      } else {
        LearnerCodec.writeWithoutRows(r.learner, bytes);
      }
      bytes.setIntAt(lengthAt, bytes.size() - lengthAt - 4);
      byte[] e = withRows ? r.encoder.stateBytes() : r.encoder.headBytes();
      out.writeInt(e.length);
      out.write(e);
      out.writeLong(r.scored);
      out.writeLong(r.trainedExamples);
      out.writeLong(r.maxEventTimeMillis);
      out.writeLong(r.schedule.lastExamples);
      out.writeLong(r.schedule.lastEventTimeMillis);
      r.deltas.writeTo(out);
      Batch pending = r.micro.pending();
      out.writeInt(pending.size());
      for (int b = 0; b < pending.size(); b++) {
        pending.writeRow(out, b);
      }
      r.metrics.writeTo(out);
      r.arrivals.writeTo(out, r.metrics, r.spec.tasks().size());
      r.gate.writeTo(out); // optional last section: nothing until the gate has seen something
      out.flush();
      return bytes.toByteArray();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  static ModelRuntime read(
      byte[] state,
      Iterable<Map.Entry<Long, byte[]>> rows,
      Iterable<Map.Entry<Long, byte[]>> entries,
      FeatureSpec spec,
      OptimizerConfig optimizer,
      int microBatch) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(state));
      int version = in.readInt();
      if (version != ModelRuntime.STATE_FORMAT) {
        throw new IllegalArgumentException(
            "model runtime state: format v"
                + version
                + " is not supported by this version (it reads v"
                + ModelRuntime.STATE_FORMAT
                + ")");
      }
      byte[] specBytes = new byte[in.readInt()];
      in.readFully(specBytes);
      FeatureSpec stored =
          FeatureSpec.parse(new String(specBytes, java.nio.charset.StandardCharsets.UTF_8));
      if (spec == null) {
        spec = stored;
      } else if (!stored.layout().equals(spec.layout())
          || stored.tasks().size() != spec.tasks().size()) {
        // Restoring with a spec whose fields or tasks changed would mis-read every encoded row.
        throw new IllegalArgumentException(
            "the model state was written for a feature spec with layout "
                + stored.layout()
                + " and "
                + stored.tasks().size()
                + " tasks; the job's spec has layout "
                + spec.layout()
                + " and "
                + spec.tasks().size()
                + " tasks (a changed spec needs a new model id)");
      }
      byte[] l = new byte[in.readInt()];
      in.readFully(l);
      Learner learner;
      if (rows == null) {
        learner = LearnerCodec.decode(l, optimizer, ChangedRows::new);
      } else {
        learner = LearnerCodec.decodeWithoutRows(l, optimizer, ChangedRows::new);
        SavedRows.restore(learner, rows);
      }
      ModelRuntime r = new ModelRuntime(spec, learner, microBatch);
      byte[] e = new byte[in.readInt()];
      in.readFully(e);
      if (entries == null) {
        r.encoder.restoreState(e);
      } else {
        r.encoder.restoreState(e, entries);
      }
      ai.hiformer.features.snapshot.ModelSnapshot.requireVocabulariesFit(
          "model runtime state", r.encoder, r.learner);
      r.scored = in.readLong();
      r.trainedExamples = in.readLong();
      r.maxEventTimeMillis = in.readLong();
      r.schedule.lastExamples = in.readLong();
      r.schedule.lastEventTimeMillis = in.readLong();
      r.deltas.readFrom(in);
      int n = in.readInt();
      Batch pending = r.micro.pending();
      pending.setSize(n);
      for (int b = 0; b < n; b++) {
        pending.readRow(in, b);
      }
      r.metrics.readFrom(in);
      in.mark(4);
      if (in.available() >= 4 && in.readInt() == LabelArrivals.STATE_TAG) {
        r.arrivals.readFrom(in, r.metrics, spec.tasks().size());
      } else {
        in.reset();
      }
      if (in.available() > 0) {
        r.gate.restore(in.readAllBytes());
      }
      return r;
    } catch (IOException ex) {
      throw new IllegalArgumentException("corrupt model runtime state: " + ex.getMessage());
    }
  }
}
