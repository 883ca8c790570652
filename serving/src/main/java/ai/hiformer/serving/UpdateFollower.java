package ai.hiformer.serving;

import ai.hiformer.learner.ModelUpdate;
import ai.hiformer.learner.ScoringReplica;
import ai.hiformer.learner.UpdateChunks;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves models from the learner's model updates (the job's {@code topics.model-updates}, an update
 * in one or more records: {@link UpdateChunks}): whoever reads the topic hands each poll's records
 * to {@link #offer}, in the topic's order, and requests score with the newest version applied. A
 * model starts at its first full update, or is assembled from a base spread over several updates
 * (slices, each with the spec and configuration, and the increments between them: served once
 * whole), and then takes each increment in sequence; a full update of a newer epoch (the learner
 * restored) replaces it.
 *
 * <p><b>Two copies, swapped (left-right).</b> Each model is held twice. Updates are written into
 * the copy no request reads; then requests move to it (a new {@link ServedModel}), the old version
 * is retired (a request that still reaches it is passed to its successor), and the same updates are
 * written into the old copy at the next offer, once the requests that were scoring with it have
 * finished (a read-write lock per copy). A response therefore always comes from exactly one
 * version, scoring never waits for an update to be applied, and the memory is two models whatever
 * the number of scoring threads. Not for concurrent {@code offer} calls (one reader thread).
 */
public final class UpdateFollower {
  private static final Logger LOG = LoggerFactory.getLogger(UpdateFollower.class);

  /** Told when a model version starts being served (for freshness measurements and logs). */
  public interface Listener {
    void served(String modelId, long version, long epoch, long sequence);
  }

  private final int scorers;
  private final Listener listener;
  private final Map<String, Followed> models = new ConcurrentHashMap<>();
  private final Map<String, UpdateChunks.Assembler> assemblers = new java.util.HashMap<>();
  private final AtomicLong applied = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();

  /**
   * @param scorers scoring threads per model version (as {@link ModelRegistry}'s)
   */
  public UpdateFollower(int scorers, Listener listener) {
    if (scorers < 1) {
      throw new IllegalArgumentException("invalid scorers = " + scorers + "; allowed: >= 1");
    }
    this.scorers = scorers;
    this.listener = listener;
  }

  /**
   * Applies the records of one poll: (model id, update bytes), in the order the topic holds them. A
   * record that is not a model update is counted and skipped (its model then waits for the next
   * full update).
   */
  public void offer(List<Map.Entry<String, byte[]>> records) {
    Map<String, List<ModelUpdate>> byModel = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> r : records) {
      try {
        ModelUpdate u =
            assemblers
                .computeIfAbsent(r.getKey(), k -> new UpdateChunks.Assembler())
                .offer(r.getValue());
        if (u != null) {
          byModel.computeIfAbsent(r.getKey(), k -> new ArrayList<>()).add(u);
        }
      } catch (IllegalArgumentException e) {
        rejected.incrementAndGet();
        LOG.warn("skipping a record for model {}: {}", r.getKey(), e.getMessage());
      }
    }
    for (Map.Entry<String, List<ModelUpdate>> e : byModel.entrySet()) {
      try {
        models.computeIfAbsent(e.getKey(), Followed::new).offer(e.getValue());
      } catch (RuntimeException ex) {
        // Only the copy no request reads was being written: the version served stays, untouched
        // from now on.
        rejected.incrementAndGet();
        LOG.warn(
            "model {}: updates not applied ({}); still serving version {} until the next base is in",
            e.getKey(),
            ex.toString(),
            model(e.getKey()).map(m -> Long.toString(m.version())).orElse("none"));
        models.get(e.getKey()).restartAtNextBase();
      }
    }
  }

  /** The newest version of {@code modelId} applied, if it has started. */
  public Optional<ServedModel> model(String modelId) {
    Followed f = models.get(modelId);
    return f == null ? Optional.empty() : Optional.ofNullable(f.serving);
  }

  /** Every model being served from updates. */
  public Collection<ServedModel> all() {
    List<ServedModel> out = new ArrayList<>();
    for (Followed f : models.values()) {
      if (f.serving != null) {
        out.add(f.serving);
      }
    }
    return out;
  }

  /** Updates applied (each counted once, when requests first score with it). */
  public long applied() {
    return applied.get();
  }

  /** Records that were not updates, or could not be applied. */
  public long rejected() {
    return rejected.get();
  }

  /** One model's two copies. */
  private final class Followed {
    private final String modelId;
    private Side front; // what requests read
    private Side back; // written next
    private List<ModelUpdate> backlog = List.of(); // applied to front, not yet to back
    private volatile ServedModel serving;

    Followed(String modelId) {
      this.modelId = modelId;
    }

    void offer(List<ModelUpdate> updates) {
      if (front != null && front.replica.ready()) {
        // A full update made with another spec or configuration, or after the learner restored (a
        // newer epoch), starts the model afresh: nothing of the old copies (rows or ids the
        // restored learner never had) stays.
        int restart = -1;
        for (int i = updates.size() - 1; i >= 0 && restart < 0; i--) {
          if (replaces(updates.get(i))) {
            restart = i;
          }
        }
        if (restart < 0) {
          follow(updates);
          return;
        }
        front = null;
        back = null;
        updates = updates.subList(restart, updates.size());
      }
      assemble(updates); // until a new model is whole, requests keep the version served (if any)
    }

    /** Applies updates to a served model: into the back copy, which then becomes the front. */
    private void follow(List<ModelUpdate> updates) {
      long before = front.replica.sequence();
      long epochBefore = front.replica.epoch();
      back.lock
          .writeLock()
          .lock(); // waits for requests still scoring with the retired version of this copy
      try {
        for (ModelUpdate u : backlog) {
          back.replica.apply(u);
        }
        for (ModelUpdate u : updates) {
          back.replica.apply(u);
        }
      } finally {
        back.lock.writeLock().unlock();
      }
      if (back.replica.sequence() == before && back.replica.epoch() == epochBefore) {
        backlog = List.of(); // nothing applied: the old copy needs nothing either
        return;
      }
      Side old = front;
      front = back;
      back = old;
      backlog = List.copyOf(updates);
      publish();
    }

    /**
     * Builds a model no request reads yet, in both copies: from a full update, or from a base's
     * slices and the increments between them; served once whole. An update that does not continue
     * the copies being built but could start them (a full update, a first slice) starts them again.
     */
    private void assemble(List<ModelUpdate> updates) {
      int skipped = 0;
      for (ModelUpdate u : updates) {
        boolean whole = front != null && front.replica.ready();
        if (whole && !replaces(u)) {
          front.replica.apply(u); // slices are skipped: the copies have every row already
          back.replica.apply(u);
        } else if (!whole && front != null && front.replica.apply(u)) {
          back.replica.apply(u);
        } else if (ScoringReplica.canStartFrom(u)) {
          front = new Side(ScoringReplica.startingFrom(u), u);
          back = new Side(ScoringReplica.startingFrom(u), u);
        } else {
          skipped++;
        }
      }
      if (front == null) {
        LOG.info(
            "model {}: waiting for a full update or a base's first slice to start from ({} updates skipped)",
            modelId,
            skipped);
        return;
      }
      ScoringReplica r = front.replica;
      if (r.ready()) {
        backlog = List.of();
        LOG.info(
            "model {}: model whole at epoch {} sequence {} (version {})",
            modelId,
            r.epoch(),
            r.sequence(),
            r.version());
        publish();
      }
    }

    private void publish() {
      ScoringReplica r = front.replica;
      ServedModel next =
          ServedModel.following(
              modelId, r.version(), front.spec, r.model(), r.encoder(), scorers, front.lock);
      ServedModel previous = serving;
      serving = next;
      if (previous != null) {
        previous.retire(next);
      }
      applied.incrementAndGet();
      LOG.debug(
          "model {}: serving version {} (epoch {}, sequence {})",
          modelId,
          r.version(),
          r.epoch(),
          r.sequence());
      listener.served(modelId, r.version(), r.epoch(), r.sequence());
    }

    /**
     * Whether {@code u} replaces the whole model this follower has: a full update made with another
     * spec or configuration, or of a newer epoch (the learner restored).
     */
    private boolean replaces(ModelUpdate u) {
      return u.full()
          && u.specJson() != null
          && (!front.sameModelAs(u) || u.epoch() > front.replica.epoch());
    }

    /**
     * Keeps serving the current version, never writing its copy again, until a new model is whole.
     */
    void restartAtNextBase() {
      front = null;
      back = null;
      backlog = List.of();
    }
  }

  /** One copy of a model, with the lock that keeps writes to it away from requests. */
  private static final class Side {
    final ScoringReplica replica;
    final ai.hiformer.features.spec.FeatureSpec spec;
    final String specJson;
    final String modelConfig;
    final ReadWriteLock lock = new ReentrantReadWriteLock();

    /**
     * @param base the full update or first slice the replica started from
     */
    Side(ScoringReplica replica, ModelUpdate base) {
      this.replica = replica;
      this.specJson = base.specJson();
      this.modelConfig = base.modelConfig();
      this.spec = replica.encoder().spec();
    }

    boolean sameModelAs(ModelUpdate full) {
      return specJson.equals(full.specJson()) && modelConfig.equals(full.modelConfig());
    }
  }
}
