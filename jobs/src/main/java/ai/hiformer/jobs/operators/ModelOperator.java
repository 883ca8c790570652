package ai.hiformer.jobs.operators;

import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.snapshot.Retention;
import ai.hiformer.features.snapshot.SnapshotStaging;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PeerChannel;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.learner.ModelRuntime;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;

/**
 * Runs {@link ModelFunction} and, when a checkpoint is taken, first writes every changed working
 * copy into state (the hook runs before the state backends snapshot): its rows and vocabulary
 * values into keyed state under its own key, its head into the {@link HeadStore}. So checkpoints
 * hold the model exactly as it is at the barrier.
 */
public final class ModelOperator<T> extends KeyedProcessOperator<String, T, Scored>
    implements org.apache.flink.streaming.api.operators.BoundedOneInput {
  private static final long serialVersionUID = 1L;

  private final ModelFunction<T> function;
  private final PeerChannel.Factory peerChannel;

  public ModelOperator(ModelFunction<T> function) {
    this(function, null);
  }

  /**
   * @param peerChannel with {@code learn.parallelism} > 1, the channel the learners exchange their
   *     deltas through; else null
   */
  public ModelOperator(ModelFunction<T> function, PeerChannel.Factory peerChannel) {
    super(function);
    this.function = function;
    this.peerChannel = peerChannel;
    if (function.options().get(LearnerOptions.PARALLELISM) > 1 && peerChannel == null) {
      throw new IllegalArgumentException(
          LearnerOptions.PARALLELISM.key()
              + " = "
              + function.options().get(LearnerOptions.PARALLELISM)
              + " needs a channel for the learners' deltas (topics.learner-exchange)");
    }
  }

  /** How often the channel is read when no record arrives, ms. */
  private static final long PEER_POLL_MS = 5;

  private transient PeerExchangeReader peers;

  /** The function this operator runs (for tests). */
  ModelFunction<T> function() {
    return function;
  }

  /** Where the models' heads are kept (for tests). */
  HeadStore heads() {
    return heads;
  }

  /**
   * Snapshots and deltas captured at checkpoint barriers, staged by checkpoint id ({@link
   * SnapshotStaging}) and promoted once that checkpoint completes; the list is operator state too,
   * so that a job restoring a checkpoint promotes what it staged even if it failed before hearing
   * of its completion.
   */
  private transient TreeMap<Long, List<Path>> staged;

  private transient ListState<String> stagedState;
  private transient HeadStore heads;
  private transient long lastDeltaMillis;
  private transient long deltaCount;

  @Override
  public void initializeState(org.apache.flink.runtime.state.StateInitializationContext context)
      throws Exception {
    ChangelogStorageCheck.requireDurableStorage(
        getKeyedStateBackend(),
        getContainingTask().getEnvironment().getTaskManagerInfo().getConfiguration());
    function.epoch(epochOf(context));
    super.initializeState(context);
    heads =
        new HeadStore(
            context.getOperatorStateStore(),
            getRuntimeContext().getTaskInfo(),
            context.isRestored());
    function.heads(heads);
    if (peerChannel != null) {
      peers = new PeerExchangeReader(this, context);
    }
    String dir = function.options().get(LearnerOptions.SNAPSHOT_DIR);
    if (dir != null) {
      stagedState =
          context
              .getOperatorStateStore()
              .getListState(new ListStateDescriptor<>("staged-snapshots", Types.STRING));
      if (context.isRestored()) {
        Path root = Paths.get(dir);
        Set<String> promoted = new HashSet<>();
        for (String path : stagedState.get()) {
          promoted.add(SnapshotStaging.promote(root, Paths.get(path)));
        }
        for (String modelId : promoted) {
          Retention.prune(root, modelId, function.options().get(LearnerOptions.SNAPSHOT_KEEP));
        }
      }
      stagedState.clear();
    }
  }

  /**
   * This run's epoch for the learners' exchange: from the job's id, the checkpoint it restored (0:
   * none) and the attempt, so that it is the same in every learner of one run and new after every
   * restore, even a second one from the same checkpoint. All learners restart together: they hang
   * off one keyBy, one failover region.
   */
  private long epochOf(org.apache.flink.runtime.state.StateInitializationContext context) {
    org.apache.flink.api.common.JobID job = getContainingTask().getEnvironment().getJobID();
    long restored = context.getRestoredCheckpointId().orElse(0L);
    long attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
    return ((job.getLowerPart() ^ job.getUpperPart()) * 0x9E3779B97F4A7C15L + restored) * 1_000_003L
        + attempt;
  }

  @Override
  public void open() throws Exception {
    super.open();
    if (peers != null) {
      function.peerSender(peers.open(peerChannel));
      schedulePeerPoll();
    }
  }

  private void schedulePeerPoll() {
    getProcessingTimeService()
        .registerTimer(
            getProcessingTimeService().getCurrentProcessingTime() + PEER_POLL_MS,
            t -> {
              peers.poll(true);
              schedulePeerPoll();
            });
  }

  @Override
  public void processElement(
      org.apache.flink.streaming.runtime.streamrecord.StreamRecord<T> element) throws Exception {
    if (peers != null) {
      peers.poll(false);
      peers.awaitPeers(selectedKey());
    }
    super.processElement(element);
  }

  /** The operator's processing time, ms: the clock the function's timers run on. */
  long processingTime() {
    return getProcessingTimeService().getCurrentProcessingTime();
  }

  /** Sets the key whose state the function reads (for the exchange reader). */
  void selectKey(String key) {
    setCurrentKey(key);
  }

  String selectedKey() {
    return (String) getCurrentKey();
  }

  @Override
  public void close() throws Exception {
    if (peers != null) {
      peers.close();
    }
    super.close();
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    if (peers != null) {
      peers.snapshot(); // before the keys' state: a delta read is in the state written below
    }
    LearnerOptions config = function.options();
    if (config.get(LearnerOptions.SNAPSHOT_DIR) != null) {
      if (staged == null) {
        staged = new TreeMap<>();
      }
      long now = System.currentTimeMillis();
      boolean deltaDue =
          config.get(LearnerOptions.DELTA_INTERVAL_MS) > 0
              && now - lastDeltaMillis >= config.get(LearnerOptions.DELTA_INTERVAL_MS);
      if (deltaDue) {
        lastDeltaMillis = now;
        deltaCount++;
      }
      Path root = Paths.get(config.get(LearnerOptions.SNAPSHOT_DIR));
      long checkpoint = context.getCheckpointId();
      int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
      List<Path> snapshots = new ArrayList<>();
      List<Path> deltas = new ArrayList<>();
      for (Map.Entry<String, ModelRuntime> e : function.runtimes().entrySet()) {
        if (deltaDue) {
          e.getValue()
              .captureDeltaIfChanged(
                  deltaCount % config.get(LearnerOptions.DENSE_EVERY_DELTAS) == 0);
        }
        for (ai.hiformer.features.snapshot.ModelDelta d : e.getValue().drainDeltas()) {
          deltas.add(SnapshotStaging.stageDelta(root, checkpoint, subtask, e.getKey(), d));
          function.dirtyKeys().add(e.getKey()); // the delta chain position is part of the state
        }
        for (ai.hiformer.learner.CapturedSnapshot c : e.getValue().drainCaptured()) {
          snapshots.add(
              SnapshotStaging.stage(
                  root,
                  checkpoint,
                  subtask,
                  e.getKey(),
                  c.version(),
                  config.get(LearnerOptions.FEATURE_SPEC),
                  c.learner(),
                  c.encoder(),
                  c.modelConfig(),
                  new ModelSnapshot.Position(
                      c.trainedExamples(), c.eventsScored(), context.getCheckpointId()),
                  c.metrics()));
        }
      }
      // Promoted in this order: a delta builds on a snapshot written before it.
      snapshots.addAll(deltas);
      if (!snapshots.isEmpty()) {
        staged.put(checkpoint, snapshots);
      }
      List<String> paths = new ArrayList<>();
      staged.values().forEach(l -> l.forEach(p -> paths.add(p.toString())));
      stagedState.update(paths);
    }
    List<String> keys = new ArrayList<>(function.dirtyKeys());
    for (String key : keys) {
      setCurrentKey(key);
      function.writeBack(key);
    }
    function.dirtyKeys().clear();
    heads.snapshot();
    super.snapshotState(context);
  }

  /**
   * At the end of a bounded input, what is pending is trained on and snapshotted, so the final
   * checkpoint holds it and a replay leaves its final model.
   */
  @Override
  public void endInput() throws Exception {
    for (Map.Entry<String, ModelRuntime> e : function.runtimes().entrySet()) {
      e.getValue().train();
      e.getValue().captureFinal();
      function.dirtyKeys().add(e.getKey());
      if (function.options().get(LearnerOptions.UPDATES_INTERVAL_MS) > 0
          && LearnerPeers.publishes(e.getKey())) {
        function.publish(
            e.getKey(),
            e.getValue(),
            (tag, update) ->
                output.collect(
                    tag,
                    new org.apache.flink.streaming.runtime.streamrecord.StreamRecord<>(update)));
      }
    }
  }

  /** Snapshots are written only for state that a completed checkpoint holds. */
  @Override
  public void notifyCheckpointComplete(long checkpointId) throws Exception {
    super.notifyCheckpointComplete(checkpointId);
    if (staged == null) {
      return;
    }
    LearnerOptions config = function.options();
    Path root = Paths.get(config.get(LearnerOptions.SNAPSHOT_DIR));
    Set<String> written = new HashSet<>();
    Iterator<Map.Entry<Long, List<Path>>> it =
        staged.headMap(checkpointId, true).entrySet().iterator();
    while (it.hasNext()) {
      for (Path p : it.next().getValue()) {
        written.add(SnapshotStaging.promote(root, p));
      }
      it.remove();
    }
    // Bounded folders: the newest complete versions stay, older ones and their deltas go. Only a
    // new full version can make an old one surplus, so only those models' folders are listed.
    for (String modelId : written) {
      Retention.prune(root, modelId, config.get(LearnerOptions.SNAPSHOT_KEEP));
    }
    // What an attempt that failed staged for checkpoints that never completed.
    int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    for (String modelId : function.runtimes().keySet()) {
      SnapshotStaging.sweep(root, modelId, subtask, checkpointId);
    }
  }
}
