package ai.hiformer.serving;

import ai.hiformer.features.snapshot.ModelDelta;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
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
 * The models being served, one per model id, from a snapshot folder laid out as
 * {@code ROOT/<model id>/v<version>/}. {@link #refresh()} loads the newest complete version of every
 * model and swaps it in atomically; a corrupt, partial or incompatible snapshot is rejected with a
 * logged reason and counted, remembered so it is not retried, and the current model keeps serving.
 */
public final class ModelRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

  private final Path root;
  private final int scorers;
  private final Map<String, AtomicReference<ServedModel>> models = new ConcurrentHashMap<>();
  private final Set<Path> rejected = ConcurrentHashMap.newKeySet();
  private final AtomicLong loads = new AtomicLong();
  private final AtomicLong rejections = new AtomicLong();
  private final Map<Path, String> reasons = new ConcurrentHashMap<>();

  public ModelRegistry(Path root, int scorers) {
    if (scorers <= 0) {
      throw new IllegalArgumentException("invalid scorers = " + scorers + "; allowed: > 0");
    }
    this.root = root;
    this.scorers = scorers;
  }

  /** Loads what is new; safe to call concurrently with scoring (and from one refresher thread). */
  public synchronized void refresh() throws IOException {
    if (!Files.isDirectory(root)) {
      return;
    }
    List<Path> modelDirs;
    try (var s = Files.list(root)) {
      modelDirs = s.filter(Files::isDirectory).toList();
    }
    for (Path modelDir : modelDirs) {
      String modelId = modelDir.getFileName().toString();
      List<Path> versions = new ArrayList<>();
      try (var s = Files.list(modelDir)) {
        s.filter(p -> Files.isDirectory(p) && p.getFileName().toString().matches("v\\d+")).forEach(versions::add);
      }
      versions.sort(Collections.reverseOrder());
      AtomicReference<ServedModel> ref = models.computeIfAbsent(modelId, k -> new AtomicReference<>());
      ServedModel current = ref.get();
      for (Path v : versions) {
        long version = Long.parseLong(v.getFileName().toString().substring(1));
        if (current != null && version <= current.baseVersion()) {
          break; // nothing newer than the snapshot we serve (deltas may have brought it up to date)
        }
        if (rejected.contains(v)) {
          continue;
        }
        try {
          ServedModel loaded = ServedModel.load(v, scorers);
          ref.set(loaded);
          current = loaded;
          loads.incrementAndGet();
          LOG.info("serving {} version {} from {}", modelId, version, v);
          break;
        } catch (IOException | RuntimeException e) {
          rejected.add(v);
          rejections.incrementAndGet();
          reasons.put(v, String.valueOf(e.getMessage()));
          LOG.warn("rejected snapshot {}: {}; still serving {}", v, e.getMessage(),
              current == null ? "nothing" : "version " + current.version());
        }
      }
      if (current != null) {
        applyDeltas(modelId, ref, current);
      }
    }
  }

  /** Incremental sync: applies the new deltas of the served base snapshot (contiguous sequence only). */
  private void applyDeltas(String modelId, AtomicReference<ServedModel> ref, ServedModel current) {
    try {
      List<Path> paths = ModelDelta.list(root, modelId, current.baseVersion());
      if (paths.size() <= current.appliedDeltas()) {
        return;
      }
      List<ModelDelta> deltas = new ArrayList<>();
      for (Path p : paths) {
        if (rejected.contains(p)) {
          break;
        }
        ModelDelta d;
        try {
          d = ModelDelta.read(p);
        } catch (IOException e) {
          rejected.add(p);
          rejections.incrementAndGet();
          reasons.put(p, String.valueOf(e.getMessage()));
          LOG.warn("rejected delta {}: {}; still serving version {}", p, e.getMessage(), current.version());
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
      LOG.info("serving {} version {} (snapshot {} + {} deltas)", modelId, updated.version(),
          current.baseVersion(), deltas.size());
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not apply the deltas of {}: {}", modelId, e.getMessage());
    }
  }

  public Optional<ServedModel> model(String modelId) {
    AtomicReference<ServedModel> ref = models.get(modelId);
    return ref == null ? Optional.empty() : Optional.ofNullable(ref.get());
  }

  public List<ServedModel> all() {
    List<ServedModel> out = new ArrayList<>();
    for (AtomicReference<ServedModel> r : models.values()) {
      if (r.get() != null) {
        out.add(r.get());
      }
    }
    return out;
  }

  public long loads() {
    return loads.get();
  }

  public long rejections() {
    return rejections.get();
  }

  /** Why each rejected snapshot was rejected. */
  public Map<Path, String> rejectionReasons() {
    return Map.copyOf(reasons);
  }
}
