package ai.hiformer.jobs.stream;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.features.spec.TaskSpec;
import ai.hiformer.jobs.api.EventMapping;
import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.jobs.api.Rejected;
import ai.hiformer.jobs.api.Scored;
import ai.hiformer.learner.ModelUpdate;
import ai.hiformer.learner.ScoringReplica;
import ai.hiformer.model.ModelConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;

/**
 * What a scoring subtask does, whoever feeds it: one read-only {@link ScoringReplica} per model id, kept current by
 * the learner's model updates, scores every event on arrival. An event whose model has no whole replica yet (a new
 * model, or just after a restore) waits, in arrival order, until its replica is whole: at the learner's first full
 * update, or once a base has been assembled from its slices (a reader that joins the update topic late). Waiting
 * events are the only state a scorer checkpoints ({@link #waiting()}); the replicas are rebuilt from updates after a
 * restore. Used by one thread at a time.
 *
 * @param <T> the event type
 */
final class ReplicaScoring<T> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ReplicaScoring.class);

  /** Where scores and rejections go (the caller's output, set before each call). */
  interface Output {
    void score(Scored score);

    void reject(Rejected rejected);
  }

  private final EventMapping<T> mapping;
  private final FeatureSpec spec;
  private final List<String> taskNames;
  private final ModelConfig modelConfig;
  private final Map<String, ScoringReplica> replicas = new HashMap<>();
  private final Map<String, ArrayDeque<T>> waiting = new LinkedHashMap<>();
  private final MetricGroup metrics;
  private final Counter scored;
  private final Counter updatesApplied;
  private final Histogram applyMillis;

  ReplicaScoring(LearnerOptions options, EventMapping<T> mapping, MetricGroup metrics, Iterable<T> restoredWaiting) {
    this.mapping = mapping;
    this.spec = options.spec();
    this.taskNames = spec.tasks().stream().map(TaskSpec::name).toList();
    this.modelConfig = options.model();
    this.metrics = metrics;
    for (T event : restoredWaiting) {
      waiting.computeIfAbsent(mapping.modelId(event), k -> new ArrayDeque<>()).add(event);
    }
    scored = metrics.counter("eventsScored");
    updatesApplied = metrics.counter("modelUpdatesApplied");
    metrics.gauge("eventsAwaitingModel", () -> waiting.values().stream().mapToInt(ArrayDeque::size).sum());
    applyMillis = metrics.histogram("modelUpdateApplyMillis",
        new org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram(1000));
  }

  /** Scores {@code event} now if its model's replica is whole and nothing of its model waits; else it waits. */
  void event(T event, Output out) {
    if (!mapping.score(event)) {
      return; // an example only to learn from (labels joined after its event was scored)
    }
    String modelId = mapping.modelId(event);
    ScoringReplica replica = replicas.get(modelId);
    ArrayDeque<T> queue = waiting.get(modelId);
    if (replica == null || !replica.ready() || queue != null) {
      waiting.computeIfAbsent(modelId, k -> new ArrayDeque<>()).add(event);
      return;
    }
    score(modelId, replica, event, out);
  }

  /**
   * Applies a whole update to its model's replica (a repeat, an older epoch's, or an increment before the first
   * full update changes nothing); a replica that becomes whole scores the events that waited for it.
   */
  void update(PublishedUpdate published, Output out) {
    long start = System.nanoTime();
    ScoringReplica replica = replicas.computeIfAbsent(published.modelId, id -> {
      ScoringReplica r = new ScoringReplica(spec, modelConfig);
      metrics.addGroup("model", id).gauge("replicaVersion", r::version);
      return r;
    });
    // The update's array is the scorer's own (deserialised or assembled for it), so the update may keep it.
    if (!replica.apply(ModelUpdate.wrapping(published.update))) {
      return;
    }
    updatesApplied.inc();
    applyMillis.update((System.nanoTime() - start) / 1_000_000);
    if (!replica.ready()) {
      return; // assembling a base from its slices
    }
    ArrayDeque<T> queue = waiting.remove(published.modelId);
    if (queue != null) {
      LOG.info("model {}: replica at version {}, scoring the {} events that waited for it", published.modelId,
          replica.version(), queue.size());
      for (T event : queue) {
        score(published.modelId, replica, event, out);
      }
    }
  }

  private void score(String modelId, ScoringReplica replica, T event, Output out) {
    double[] probs;
    try {
      probs = replica.score(mapping.features(event));
    } catch (BadRowException e) {
      out.reject(new Rejected(modelId, mapping.requestId(event), e.getMessage(), mapping.payload(event)));
      return;
    }
    out.score(Scored.of(modelId, mapping.requestId(event), replica.version(), taskNames, probs,
        mapping.eventTimeMillis(event), System.currentTimeMillis()));
    scored.inc();
  }

  /** The events waiting for their model's replica, in arrival order per model (the state to checkpoint). */
  List<T> waiting() {
    List<T> all = new ArrayList<>();
    for (ArrayDeque<T> queue : waiting.values()) {
      all.addAll(queue);
    }
    return all;
  }

  /** Models whose events wait (for a warning at close). */
  java.util.Set<String> waitingModels() {
    return waiting.keySet();
  }
}
