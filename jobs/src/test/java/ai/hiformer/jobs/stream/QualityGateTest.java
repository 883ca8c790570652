package ai.hiformer.jobs.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.SharedData;
import ai.hiformer.features.snapshot.ModelDelta;
import ai.hiformer.features.snapshot.ModelSnapshot;
import ai.hiformer.features.snapshot.ServingPin;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.local.embedded.SyntheticStream;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.ModelProfile;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.serving.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quality gate between learning and serving, as the model operator drives it (snapshots and
 * deltas written as it writes them, a server following the folder): a stretch of flipped labels is
 * held back, the server keeps the last good version throughout, and publication resumes once the
 * model has recovered. Then a rollback. And a stream that only gets harder (a stretch seen before,
 * then unseen events) holds nothing back.
 */
class QualityGateTest {
  private static final int EVENTS = 60_000;
  private static final int FLIP_FROM = 16_000;
  private static final int FLIP_TO = 22_000;
  private static final int WINDOW = 2048;

  @TempDir Path root;

  private record Publication(long version, long trainedExamples) {}

  @Test
  void aStretchSeenBeforeThenUnseenEventsHoldsNothingBack() throws Exception {
    // As a job that had learned the first 10,000 events and is sent the first 18,000 again: the
    // recent AUC falls where the unseen events begin, for every version alike.
    ModelRuntime runtime = syntheticHiformer();
    List<String> reasons = new ArrayList<>();
    runtime.qualityGate(WINDOW, 0.05, 0, reasons::add); // the default margin
    List<double[]> again = new ArrayList<>(); // (prediction, label) of the second pass
    for (int pass = 0; pass < 2; pass++) {
      SyntheticStream stream = new SyntheticStream(7);
      for (int i = 0; i < (pass == 0 ? 10_000 : 18_000); i++) {
        SyntheticStream.Event e = stream.next();
        double y = e.click() ? 1 : 0;
        double p = runtime.scoreAndLearn(e, Map.of("click", y), e.ts() * 1000)[0];
        if (pass == 1) {
          again.add(new double[] {p, y});
        }
        if (i % 512 == 511) { // a checkpoint: what the operator would publish
          publish(runtime);
        }
      }
    }
    double seen = windowAuc(again, 10_000 - WINDOW);
    double unseen = windowAuc(again, 10_000);
    System.out.printf(
        "quality gate, seen then unseen: recent AUC %.4f on the seen stretch, %.4f on the first"
            + " unseen events; %d versions held back%n",
        seen, unseen, runtime.versionsHeldBack());
    assertThat(seen - unseen)
        .as("the recent AUC fell by more than the margin where the unseen events begin")
        .isGreaterThan(0.05);
    assertThat(runtime.versionsHeldBack()).isZero();
    assertThat(reasons).isEmpty();
  }

  @Test
  void aStationaryStreamHoldsNothingBack() throws Exception {
    // The shipped policy (a window of 4,096, margin 0.05) on a stream whose distribution never
    // changes, a version every 512 examples: every version may be served.
    for (int seed : new int[] {1, 2, 3}) {
      ModelRuntime runtime = syntheticHiformer();
      List<String> reasons = new ArrayList<>();
      runtime.qualityGate(4096, 0.05, 0, reasons::add);
      SyntheticStream stream = new SyntheticStream(seed);
      for (int i = 0; i < 40_000; i++) {
        SyntheticStream.Event e = stream.next();
        runtime.scoreAndLearn(e, Map.of("click", e.click() ? 1.0 : 0.0), e.ts() * 1000);
        if (i % 512 == 511) {
          publish(runtime);
        }
      }
      System.out.printf(
          "quality gate, stationary stream %d: %d versions held back%s%n",
          seed, runtime.versionsHeldBack(), reasons.isEmpty() ? "" : "; " + reasons.get(0));
      assertThat(runtime.versionsHeldBack()).as("versions held back, stream %d", seed).isZero();
    }
  }

  /** Hiformer, online profile, on specs/synthetic.json, micro-batch 256. */
  private static ModelRuntime syntheticHiformer() throws Exception {
    return new ModelRuntime(
        FeatureSpec.parse(Files.readString(SharedData.repoFile("specs/synthetic.json"))),
        ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).build(),
        OptimizerConfig.defaults(),
        256);
  }

  /** What the operator does at a checkpoint: snapshots due, then a delta, each through the gate. */
  private static void publish(ModelRuntime runtime) {
    runtime.drainCaptured();
    runtime.captureDeltaIfChanged(true);
    runtime.drainDeltas();
  }

  /** AUC of the {@link #WINDOW} predictions from {@code from}. */
  private static double windowAuc(List<double[]> predictions, int from) {
    double[] p = new double[WINDOW];
    double[] y = new double[WINDOW];
    for (int i = 0; i < WINDOW; i++) {
      p[i] = predictions.get(from + i)[0];
      y[i] = predictions.get(from + i)[1];
    }
    return ai.hiformer.learner.Metrics.auc(p, y, 0, WINDOW);
  }

  @Test
  void aStretchOfFlippedLabelsIsHeldBackAndTheServerKeepsTheLastGoodVersion() throws Exception {
    String specJson = Files.readString(SharedData.repoFile("specs/synthetic.json"));
    ModelRuntime runtime = syntheticHiformer();
    runtime.snapshotPolicy(4096, 0);
    List<String> reasons = new ArrayList<>();
    // Margin 0.1: flipped labels take the recent AUC far below any margin, and the model, whose
    // embedding rows and
    // optimiser state the flip disturbed, climbs back to within 0.1 of its old level during the run
    // (to within
    // 0.05 it takes longer than this test runs; docs/RESULTS.md).
    runtime.qualityGate(WINDOW, 0.1, 0, reasons::add);
    ModelRegistry server = new ModelRegistry(root, 1);
    List<Publication> published = new ArrayList<>();
    long servedAtFlip = -1;
    long servedDuringHold = -1;
    SyntheticStream stream = new SyntheticStream(7);
    for (int i = 0; i < EVENTS; i++) {
      SyntheticStream.Event e = stream.next();
      boolean click = (i >= FLIP_FROM && i < FLIP_TO) != e.click();
      runtime.scoreAndLearn(e, Map.of("click", click ? 1.0 : 0.0), e.ts() * 1000);
      if (i % 512 == 511) { // a checkpoint: snapshots due since the last one, then a delta
        for (ai.hiformer.learner.CapturedSnapshot c : runtime.drainCaptured()) {
          ModelSnapshot.write(
              root,
              "m",
              c.version(),
              specJson,
              c.learner(),
              c.encoder(),
              c.modelConfig(),
              new ModelSnapshot.Position(c.trainedExamples(), c.eventsScored(), i));
          published.add(new Publication(c.version(), c.trainedExamples()));
        }
        runtime.captureDeltaIfChanged(true);
        for (ModelDelta d : runtime.drainDeltas()) {
          d.write(root, "m");
          published.add(new Publication(d.modelVersion(), runtime.trainedExamples()));
        }
        server.refresh();
        long served = server.model("m").map(m -> m.version()).orElse(-1L);
        if (i < FLIP_FROM) {
          servedAtFlip = served;
        } else if (i < FLIP_TO + WINDOW) {
          if (servedDuringHold < 0 && i >= FLIP_FROM + WINDOW / 2) {
            servedDuringHold = served;
          }
          if (servedDuringHold >= 0) {
            assertThat(served)
                .as("served version at event %d, within the flipped stretch", i)
                .isEqualTo(servedDuringHold);
          }
        }
      }
    }
    System.out.printf(
        "quality gate: %d versions held back, %d published; last reason: %s%n",
        runtime.versionsHeldBack(), published.size(), reasons.get(reasons.size() - 1));
    assertThat(runtime.versionsHeldBack()).isPositive();
    assertThat(reasons)
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r).contains("click: AUC").contains("margin"));
    // No version was published while a quarter or more of its recent window had flipped labels.
    for (Publication p : published) {
      long from = Math.max(p.trainedExamples() - WINDOW, FLIP_FROM);
      long to = Math.min(p.trainedExamples(), FLIP_TO);
      assertThat(Math.max(0, to - from))
          .as("flipped examples in the window of version %d", p.version())
          .isLessThan(WINDOW / 4);
    }
    assertThat(servedDuringHold)
        .as("the server kept a version from before the flip")
        .isLessThanOrEqualTo(
            published.stream()
                .filter(p -> p.trainedExamples() <= FLIP_FROM + WINDOW / 4)
                .mapToLong(Publication::version)
                .max()
                .orElseThrow())
        .isGreaterThanOrEqualTo(servedAtFlip);
    long servedAtEnd = server.model("m").orElseThrow().version();
    assertThat(servedAtEnd)
        .as("publication resumed after the model recovered")
        .isGreaterThan(servedDuringHold);

    // Rollback: pin an older full version; the server serves exactly it (no deltas) until released.
    long older =
        published.stream()
            .filter(p -> Files.isDirectory(ModelSnapshot.directory(root, "m", p.version())))
            .mapToLong(Publication::version)
            .min()
            .orElseThrow();
    ServingPin.pin(root, "m", older);
    server.refresh();
    assertThat(server.model("m").orElseThrow().version()).isEqualTo(older);
    assertThat(server.model("m").orElseThrow().appliedDeltas()).isZero();
    ai.hiformer.features.snapshot.Retention.prune(root, "m", 2);
    assertThat(ModelSnapshot.directory(root, "m", older))
        .as("retention keeps the pinned version")
        .isDirectory();
    ServingPin.release(root, "m");
    server.refresh();
    assertThat(server.model("m").orElseThrow().version()).isEqualTo(servedAtEnd);
  }
}
