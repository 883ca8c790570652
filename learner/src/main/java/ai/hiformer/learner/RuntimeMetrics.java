package ai.hiformer.learner;

import ai.hiformer.model.Batch;
import ai.hiformer.model.BlendModel;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.Loss;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model id's progressive metrics: per task over the model's predictions, and for a blend also per
 * member over that member's own predictions inside the blend. Fed with the predictions each
 * micro-batch made before it trained; kept in the runtime's state.
 */
public final class RuntimeMetrics {
  private final List<String> tasks;
  private final ProgressiveMetrics[] model; // (tasks)
  private final ProgressiveMetrics[][]
      members; // (members)(tasks); empty unless the model is a blend
  private final List<String> memberNames;
  private final BlendModel blend;

  RuntimeMetrics(List<String> tasks, CtrModel model) {
    this.tasks = List.copyOf(tasks);
    this.model = newRow(tasks.size());
    blend = model instanceof BlendModel b ? b : null;
    memberNames =
        blend == null
            ? List.of()
            : model.config().members().stream().map(ai.hiformer.model.ModelKind::cliName).toList();
    members = new ProgressiveMetrics[memberNames.size()][];
    for (int m = 0; m < members.length; m++) {
      members[m] = newRow(tasks.size());
    }
  }

  private static ProgressiveMetrics[] newRow(int tasks) {
    ProgressiveMetrics[] row = new ProgressiveMetrics[tasks];
    for (int k = 0; k < tasks; k++) {
      row[k] = new ProgressiveMetrics();
    }
    return row;
  }

  /**
   * Predictions (B, tasks) the model made before training on {@code batch}; only labelled cells
   * count. Rows in {@code late} are late positives learned again: their example was counted when
   * its window closed, so they count only as positives for the calibration.
   */
  void record(Batch batch, double[] probs, java.util.BitSet late) {
    int t = batch.tasks;
    for (int b = 0; b < batch.size(); b++) {
      if (late.get(b)) {
        for (int k = 0; k < t; k++) {
          if (batch.labelMask[b * t + k] != 0 && batch.label[b * t + k] > 0.5) {
            model[k].addLatePositive();
          }
        }
        continue;
      }
      for (int k = 0; k < t; k++) {
        int i = b * t + k;
        if (batch.labelMask[i] != 0) {
          model[k].add(probs[i], batch.label[i]);
          for (int m = 0; m < members.length; m++) {
            members[m][k].add(Loss.sigmoid(blend.memberLogits(m)[i]), batch.label[i]);
          }
        }
      }
    }
  }

  /** Task k's progressive metrics. */
  public ProgressiveMetrics task(int k) {
    return model[k];
  }

  /** A blend's members by name (empty for a single model). */
  public List<String> memberNames() {
    return memberNames;
  }

  /** Member m's own progressive metrics on task k, from its predictions inside the blend. */
  public ProgressiveMetrics member(int m, int k) {
    return members[m][k];
  }

  /**
   * Per task: {@code <task>.progressive_auc}, {@code .progressive_logloss}, {@code
   * .progressive_ne}, {@code .progressive_calibration}, {@code .examples}, {@code .positives} (the
   * positive examples among them), {@code .late_positives} (once there are any); for a blend also
   * {@code <task>.<member>.progressive_auc} and {@code .progressive_logloss} per member.
   */
  public Map<String, Double> summary() {
    Map<String, Double> s = new LinkedHashMap<>();
    for (int k = 0; k < tasks.size(); k++) {
      String task = tasks.get(k);
      s.put(task + ".progressive_auc", model[k].auc());
      s.put(task + ".progressive_logloss", model[k].logLoss());
      s.put(task + ".progressive_ne", model[k].normalisedEntropy());
      s.put(task + ".progressive_calibration", model[k].calibration());
      s.put(task + ".examples", (double) model[k].count());
      s.put(task + ".positives", (double) model[k].positives());
      if (model[k].latePositives() > 0) {
        s.put(task + ".late_positives", (double) model[k].latePositives());
      }
      for (int m = 0; m < members.length; m++) {
        s.put(task + "." + memberNames.get(m) + ".progressive_auc", members[m][k].auc());
        s.put(task + "." + memberNames.get(m) + ".progressive_logloss", members[m][k].logLoss());
      }
    }
    return s;
  }

  /**
   * The model's metrics, then (a blend's only, so other models' state is as before) each member's.
   */
  void writeTo(DataOutputStream out) throws IOException {
    for (ProgressiveMetrics m : inStateOrder()) {
      m.writeTo(out);
    }
  }

  void readFrom(DataInputStream in) throws IOException {
    for (ProgressiveMetrics m : inStateOrder()) {
      m.readFrom(in);
    }
  }

  private List<ProgressiveMetrics> inStateOrder() {
    List<ProgressiveMetrics> all = new java.util.ArrayList<>(List.of(model));
    for (ProgressiveMetrics[] row : members) {
      all.addAll(List.of(row));
    }
    return all;
  }
}
