package ai.hiformer.serving;

import ai.hiformer.features.snapshot.ModelDelta;
import ai.hiformer.features.snapshot.ModelSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models being served, one per model id, from a snapshot folder laid out as {@code ROOT/<model
 * id>/v<version>/}. {@link #refresh()} loads the newest version of every model that loads and swaps
 * it in atomically. It never stops: a corrupt, partial or incompatible snapshot, and anything a
 * load throws (an {@link Error} included), is rejected with a logged reason and counted while the
 * current model keeps serving; a rejected version is tried again once its files change (a copy that
 * was caught half-written). Versions compare as numbers; a directory whose name is not {@code
 * v<digits>} is skipped with a logged reason.
 */
public final class ModelRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

  /** Loads one snapshot version (a seam for tests that need a load to throw). */
  interface Loader {
    ServedModel load(Path dir, int scorers) throws IOException;
  }

  /** Why a path was rejected, and what its files looked like then. */
  private record Rejection(String fingerprint, String reason) {}

  private final Path root;
  private final int scorers;
  private final Loader loader;
  private final Map<String, AtomicReference<ServedModel>> models = new ConcurrentHashMap<>();
  private final Map<Path, Rejection> rejected = new ConcurrentHashMap<>();
  private final Set<Path> skipped = ConcurrentHashMap.newKeySet();
  private final AtomicLong loads = new AtomicLong();
  private final AtomicLong rejections = new AtomicLong();
  private final AtomicLong reloadErrors = new AtomicLong();
  private volatile String lastReloadError;
  private volatile UpdateFollower follower;
  private final Set<String> pinned = ConcurrentHashMap.newKeySet(); // model ids with a rollback pin

  public ModelRegistry(Path root, int scorers) {
    this(root, scorers, ServedModel::load);
  }

  ModelRegistry(Path root, int scorers, Loader loader) {
    if (scorers <= 0) {
      throw new IllegalArgumentException("invalid scorers = " + scorers + "; allowed: > 0");
    }
    this.root = root;
    this.scorers = scorers;
    this.loader = loader;
  }

  /**
   * Loads what is new; safe to call concurrently with scoring (and from one refresher thread).
   * Never throws: what goes wrong is logged, counted ({@link #reloadErrors()}) and kept as {@link
   * #lastReloadError()}.
   */
  public synchronized void refresh() {
    try {
      if (root == null || !Files.isDirectory(root)) {
        return;
      }
      List<Path> modelDirs;
      try (var s = Files.list(root)) {
        modelDirs = s.filter(Files::isDirectory).toList();
      }
      for (Path modelDir : modelDirs) {
        refreshModel(modelDir);
      }
    } catch (Throwable t) {
      reloadError("listing " + root, t);
    }
  }

  private void refreshModel(Path modelDir) throws IOException {
    String modelId = modelDir.getFileName().toString();
    List<Map.Entry<Long, Path>> versions = new ArrayList<>();
    try (var s = Files.list(modelDir)) {
      for (Path p : s.toList()) {
        String name = p.getFileName().toString();
        long version = ModelSnapshot.versionOf(p);
        if (Files.isDirectory(p) && version >= 0) {
          versions.add(Map.entry(version, p));
        } else if (!name.equals("deltas") && !name.startsWith(".tmp-") && skipped.add(p)) {
          LOG.info("skipping {}: not a snapshot version (expected a directory named v<digits>)", p);
        }
      }
    }
    versions.sort(Map.Entry.<Long, Path>comparingByKey().reversed()); // as numbers: v10 after v9
    AtomicReference<ServedModel> ref =
        models.computeIfAbsent(modelId, k -> new AtomicReference<>());
    ServedModel current = ref.get();
    java.util.OptionalLong pin = ai.hiformer.features.snapshot.ServingPin.read(root, modelId);
    if (pin.isPresent()) {
      pinned.add(modelId);
    } else {
      pinned.remove(modelId);
    }
    if (pin.isPresent()) {
      // A rollback: serve exactly the pinned version, without deltas, until the pin is released.
      long pinned = pin.getAsLong();
      if (current != null && current.baseVersion() == pinned && current.appliedDeltas() == 0) {
        return;
      }
      versions.removeIf(e -> e.getKey() != pinned);
      current = null;
    }
    for (Map.Entry<Long, Path> e : versions) {
      long version = e.getKey();
      Path v = e.getValue();
      if (current != null && version <= current.baseVersion()) {
        break; // nothing newer than the snapshot we serve (deltas may have brought it up to date)
      }
      String fingerprint = fingerprint(v);
      Rejection before = rejected.get(v);
      if (before != null && before.fingerprint().equals(fingerprint)) {
        continue; // rejected, and unchanged since
      }
      try {
        ServedModel loaded = loader.load(v, scorers);
        ref.set(loaded);
        current = loaded;
        rejected.remove(v);
        loads.incrementAndGet();
        LOG.info("serving {} version {} from {}", modelId, version, v);
        break;
      } catch (Throwable t) {
        String reason =
            t instanceof IOException || t instanceof RuntimeException
                ? String.valueOf(t.getMessage())
                : t.toString();
        rejected.put(v, new Rejection(fingerprint, reason));
        rejections.incrementAndGet();
        if (!(t instanceof IOException || t instanceof RuntimeException)) {
          reloadError("loading " + v, t);
        }
        LOG.warn(
            "rejected snapshot {}: {}; still serving {}",
            v,
            reason,
            current == null ? "nothing" : "version " + current.version());
      }
    }
    if (current != null && pin.isEmpty()) {
      applyDeltas(modelId, ref, current);
    }
  }

  private void reloadError(String what, Throwable t) {
    reloadErrors.incrementAndGet();
    lastReloadError = what + ": " + t;
    LOG.error("snapshot reload failed while {}; the reloader carries on", what, t);
  }

  /**
   * What a version's files look like now (names, sizes, modification times): a change means "try
   * again".
   */
  private static String fingerprint(Path dir) {
    StringBuilder sb = new StringBuilder();
    try (var s = Files.list(dir)) {
      for (Path f : s.sorted().toList()) {
        sb.append(f.getFileName())
            .append(':')
            .append(Files.size(f))
            .append(':')
            .append(Files.getLastModifiedTime(f).toMillis())
            .append(';');
      }
    } catch (IOException e) {
      sb.append("unreadable:").append(e.getMessage());
    }
    return sb.toString();
  }

  /**
   * Incremental sync: applies the new deltas of the served base snapshot (contiguous sequence
   * only).
   */
  private void applyDeltas(String modelId, AtomicReference<ServedModel> ref, ServedModel current) {
    try {
      List<Path> paths = ModelDelta.list(root, modelId, current.baseVersion());
      if (paths.size() <= current.appliedDeltas()) {
        return;
      }
      List<ModelDelta> deltas = new ArrayList<>();
      for (Path p : paths) {
        if (rejected.containsKey(p)) {
          break;
        }
        ModelDelta d;
        try {
          d = ModelDelta.read(p);
        } catch (IOException e) {
          rejected.put(p, new Rejection(fingerprint(p), String.valueOf(e.getMessage())));
          rejections.incrementAndGet();
          LOG.warn(
              "rejected delta {}: {}; still serving version {}",
              p,
              e.getMessage(),
              current.version());
          break;
        }
        if (d.sequence() != deltas.size() + 1) {
          break; // a gap: wait for the missing delta
        }
        deltas.add(d);
      }
      if (deltas.size() <= current.appliedDeltas()) {
        return;
      }
      ServedModel updated = ServedModel.load(current.directory(), scorers, deltas);
      ref.set(updated);
      loads.incrementAndGet();
      LOG.info(
          "serving {} version {} (snapshot {} + {} deltas)",
          modelId,
          updated.version(),
          current.baseVersion(),
          deltas.size());
    } catch (Throwable t) {
      reloadError("applying the deltas of " + modelId, t);
    }
  }

  /**
   * Scorers each loaded model holds: how many threads may score one model at once without waiting.
   */
  public int scorers() {
    return scorers;
  }

  /**
   * The version of {@code modelId} to score with: the newer of the snapshot folder's and the update
   * stream's (when {@link #follow followed}); a pinned version (a rollback) always wins.
   */
  public Optional<ServedModel> model(String modelId) {
    AtomicReference<ServedModel> ref = models.get(modelId);
    Optional<ServedModel> fromSnapshots =
        ref == null ? Optional.empty() : Optional.ofNullable(ref.get());
    UpdateFollower f = follower;
    if (f == null || pinned.contains(modelId)) {
      return fromSnapshots;
    }
    Optional<ServedModel> fromUpdates = f.model(modelId);
    if (fromUpdates.isEmpty()
        || (fromSnapshots.isPresent()
            && fromSnapshots.get().version() > fromUpdates.get().version())) {
      return fromSnapshots;
    }
    return fromUpdates;
  }

  /** Serves the models of {@code follower} too (see {@link #model}). */
  public void follow(UpdateFollower follower) {
    this.follower = follower;
  }

  public List<ServedModel> all() {
    java.util.Set<String> ids = new java.util.TreeSet<>(models.keySet());
    UpdateFollower f = follower;
    if (f != null) {
      for (ServedModel m : f.all()) {
        ids.add(m.modelId());
      }
    }
    List<ServedModel> out = new ArrayList<>();
    for (String id : ids) {
      model(id).ifPresent(out::add);
    }
    return out;
  }

  public long loads() {
    return loads.get();
  }

  public long rejections() {
    return rejections.get();
  }

  /** Why each rejected snapshot (or delta) was rejected. */
  public Map<Path, String> rejectionReasons() {
    Map<Path, String> out = new java.util.HashMap<>();
    rejected.forEach((p, r) -> out.put(p, r.reason()));
    return out;
  }

  /**
   * Reloads that failed outside a snapshot's own checks (an {@link Error} while loading, a listing
   * failure).
   */
  public long reloadErrors() {
    return reloadErrors.get();
  }

  /** The last such failure, or null. */
  public String lastReloadError() {
    return lastReloadError;
  }
}
