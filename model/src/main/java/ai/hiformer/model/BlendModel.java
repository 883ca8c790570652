package ai.hiformer.model;

import ai.hiformer.model.math.Precision;
import ai.hiformer.model.nn.Buffers;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import ai.hiformer.model.nn.ParamStore;
import java.util.ArrayList;
import java.util.List;

/**
 * Several networks learning side by side on one stream, scored through a stacker learnt online
 * ({@link ModelKind#BLEND}, e.g. {@code hiformer+dcnv2+lr}).
 *
 * <p>The stacker is exponential weights over the members (Hedge): with L_k[j] member k's cumulative
 * log-loss on task j over every example it has learnt from (nats), the blend's logit is {@code
 * y[b,j] = Σ_k w_k[j]·z_k[b,j]}, {@code w_k[j] ∝ exp(-η·(L_k[j] - min_k L_k[j]))}, η = {@value
 * #ETA}. It starts as the members' mean logit and moves towards whichever member has predicted best
 * so far, at a pace that a lead of 1/η = 33 nats of log-loss changes a weight by e; its cumulative
 * log-loss stays within ln(K)/η of the best member's, whatever the stream (the usual Hedge bound),
 * so the blend is never worse than the best member by more than a constant, and better where the
 * members lead in turns. L is updated from predictions made before the labels that score them, so
 * progressive validation holds for the blend.
 *
 * <p>Members learn from their own losses, exactly as alone (same configuration and seed give the
 * same weights as the member trained alone), so each member's own progressive metrics mean what
 * they say. This model's dense parameters are the members' then the cumulative losses {@code
 * blend.loss} (K, t), which no optimiser moves (their gradient is 0) but which are saved and
 * restored with the rest; its tables are the members', member by member.
 */
public final class BlendModel implements CtrModel {
  /** Learning rate of the exponential weights, per nat of cumulative log-loss. */
  public static final double ETA = 0.03;

  private final ModelConfig config;
  private final InputLayout layout;
  private final CtrModel[] members;
  private final ParamStore store;
  private final Param cumulativeLoss; // (K, t)
  private final List<EmbeddingTable> tables;
  private final double[][] memberLogits; // (K)(B, t) of the last forward
  private final double[] weights; // (K, t) of the last forward
  private double[] memberGrad;

  public BlendModel(ModelConfig config, InputLayout layout) {
    this(config, layout, createMembers(config, layout));
  }

  private BlendModel(ModelConfig config, InputLayout layout, CtrModel[] members) {
    this.config = config;
    this.layout = layout;
    this.members = members;
    store = new ParamStore(config.precision());
    List<EmbeddingTable> all = new ArrayList<>();
    for (CtrModel m : members) {
      store.include(m.params());
      all.addAll(m.tables());
    }
    tables = List.copyOf(all);
    cumulativeLoss = store.create("blend.loss", members.length, config.tasks());
    memberLogits = new double[members.length][];
    weights = new double[members.length * config.tasks()];
  }

  private static CtrModel[] createMembers(ModelConfig config, InputLayout layout) {
    CtrModel[] m = new CtrModel[config.members().size()];
    for (int k = 0; k < m.length; k++) {
      m[k] = Models.create(config.member(k), layout);
    }
    return m;
  }

  /** Number of members K. */
  public int memberCount() {
    return members.length;
  }

  public CtrModel member(int k) {
    return members[k];
  }

  /** Member k's logits (B, tasks) from the last {@link #forward}; valid until the next. */
  public double[] memberLogits(int k) {
    return memberLogits[k];
  }

  /** Member k's weight on task j in the last {@link #forward}. */
  public double weight(int k, int task) {
    return weights[k * config.tasks() + task];
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public InputLayout layout() {
    return layout;
  }

  @Override
  public void forward(Batch batch, double[] logits) {
    int t = config.tasks();
    int n = batch.size() * t;
    updateWeights();
    java.util.Arrays.fill(logits, 0, n, 0.0);
    for (int k = 0; k < members.length; k++) {
      memberLogits[k] = Buffers.ensure(memberLogits[k], n);
      members[k].forward(batch, memberLogits[k]);
      double[] z = memberLogits[k];
      for (int i = 0; i < n; i++) {
        logits[i] += weights[k * t + i % t] * z[i];
      }
    }
  }

  private void updateWeights() {
    int t = config.tasks();
    double[] loss = cumulativeLoss.value();
    for (int j = 0; j < t; j++) {
      double min = Double.POSITIVE_INFINITY;
      for (int k = 0; k < members.length; k++) {
        min = Math.min(min, loss[k * t + j]);
      }
      double sum = 0;
      for (int k = 0; k < members.length; k++) {
        weights[k * t + j] = Math.exp(-ETA * (loss[k * t + j] - min));
        sum += weights[k * t + j];
      }
      for (int k = 0; k < members.length; k++) {
        weights[k * t + j] /= sum;
      }
    }
  }

  /**
   * Each member learns from its own loss, as alone (dLogits, the blend's gradient, moves no
   * member); the stacker adds each member's log-loss on this batch's labelled examples to its
   * cumulative loss.
   */
  @Override
  public void backward(Batch batch, double[] dLogits) {
    int t = config.tasks();
    int n = batch.size() * t;
    double[] loss = cumulativeLoss.value();
    memberGrad = Buffers.ensure(memberGrad, n);
    for (int k = 0; k < members.length; k++) {
      double[] z = memberLogits[k];
      for (int i = 0; i < n; i++) {
        if (batch.labelMask[i] != 0) {
          loss[k * t + i % t] += Loss.bceWithLogits(z[i], batch.label[i]);
        }
      }
      Loss.lossAndGradient(batch, z, memberGrad);
      members[k].backward(batch, memberGrad);
    }
  }

  /**
   * Moves every member's logits by delta; the weights sum to 1, so the blend's move by delta too.
   */
  @Override
  public void shiftLogits(double[] delta) {
    for (CtrModel m : members) {
      m.shiftLogits(delta);
    }
  }

  /**
   * Centres each member on its own logits, as alone; the blend, a weighted mean of them, is then
   * centred too.
   */
  @Override
  public void centreLogits(int n, double[] logits) {
    for (int k = 0; k < members.length; k++) {
      members[k].centreLogits(n, memberLogits[k]);
    }
  }

  @Override
  public void resetRow(int field, int id, long generation) {
    for (CtrModel m : members) {
      m.resetRow(field, id, generation);
    }
  }

  @Override
  public ParamStore params() {
    return store;
  }

  @Override
  public List<EmbeddingTable> tables() {
    return tables;
  }

  @Override
  public CtrModel readOnlyReplica(Precision precision) {
    CtrModel[] replicas = new CtrModel[members.length];
    for (int k = 0; k < members.length; k++) {
      replicas[k] = members[k].readOnlyReplica(precision);
    }
    BlendModel replica =
        new BlendModel(config.toBuilder().precision(precision).build(), layout, replicas);
    replica.cumulativeLoss.shareValuesOf(cumulativeLoss);
    return replica;
  }

  /**
   * Not available: a blend's backward adds to its cumulative losses, which a replica would share,
   * so a blend learns on one thread.
   */
  @Override
  public CtrModel trainingReplica() {
    throw new UnsupportedOperationException(
        "a blend learns on one thread: its backward updates the shared cumulative losses");
  }

  @Override
  public ai.hiformer.model.nn.GradientSlots ownRowGradients(int table) {
    throw new UnsupportedOperationException("a blend has no training replicas");
  }

  @Override
  public long macsPerExample() {
    long macs = (long) members.length * config.tasks();
    for (CtrModel m : members) {
      macs += m.macsPerExample();
    }
    return macs;
  }
}
