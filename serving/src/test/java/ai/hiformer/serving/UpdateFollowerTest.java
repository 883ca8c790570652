package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.learner.ModelUpdate;
import ai.hiformer.learner.ScoringReplica;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.optim.OptimizerConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Serving from the learner's update stream, fed by a real learner: a model starts at its first full
 * update (whose spec and configuration it is built from) and follows the increments; after every
 * offer it scores exactly as a replica that applied the same updates (so both of its copies stay
 * right as they alternate); a request that reaches a retired version is scored by its successor and
 * says so; a corrupt record changes nothing; and under concurrent scoring every response equals the
 * scores of the version it names.
 */
class UpdateFollowerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MICRO_BATCH = 16;

  private final ModelRuntime learner =
      new ModelRuntime(
          FeatureSpec.parse(Snapshots.SPEC),
          ModelConfig.builder(ModelKind.HIFORMER).d(8).seed(3).build(),
          OptimizerConfig.defaults(),
          MICRO_BATCH);
  private int event;

  private ModelUpdate trainAndCapture(int steps, boolean full) throws Exception {
    for (int i = 0; i < steps * MICRO_BATCH; i++, event++) {
      learner.learnOnly(row(event), Map.of("click", (double) (event % 3 == 0 ? 1 : 0)), 0);
    }
    return learner.updates().capture(full, true);
  }

  private static Row row(int i) throws Exception {
    return JsonLinesReader.of(JSON.readTree(Snapshots.features(i)), "t");
  }

  private static List<Map.Entry<String, byte[]>> records(ModelUpdate... updates) {
    List<Map.Entry<String, byte[]>> out = new ArrayList<>();
    for (ModelUpdate u : updates) {
      out.add(Map.entry("m", u.bytes()));
    }
    return out;
  }

  private static void assertScoresAsReplica(ServedModel served, ScoringReplica reference)
      throws Exception {
    assertThat(served.version()).isEqualTo(reference.version());
    for (int i = 0; i < 40; i += 3) {
      double want = reference.score(row(i * 37))[0];
      assertThat(served.score(row(i * 37)).get("click"))
          .as("probe %d at version %d", i, served.version())
          .isEqualTo(want);
    }
  }

  @Test
  void aModelStartsAtItsFirstFullUpdateAndThenScoresAsAReplicaOfTheSameUpdatesAfterEveryOffer()
      throws Exception {
    List<Long> served = new ArrayList<>();
    UpdateFollower follower =
        new UpdateFollower(2, (id, version, epoch, sequence) -> served.add(version));
    ModelUpdate base = trainAndCapture(2, true);
    ModelUpdate early = trainAndCapture(1, false);
    follower.offer(records(early));
    assertThat(follower.model("m")).as("an increment cannot start a model").isEmpty();

    ModelUpdate full = trainAndCapture(1, true);
    ScoringReplica reference = ScoringReplica.startingFrom(full);
    follower.offer(records(full));
    ServedModel first = follower.model("m").orElseThrow();
    assertScoresAsReplica(first, reference);

    for (int k = 0; k < 5; k++) { // the two copies alternate: each must end up right
      ModelUpdate next = trainAndCapture(1 + k % 2, false);
      assertThat(reference.apply(next)).isTrue();
      follower.offer(records(next));
      assertScoresAsReplica(follower.model("m").orElseThrow(), reference);
    }
    assertThat(served).containsExactly(4L, 5L, 7L, 8L, 10L, 11L);
    assertThat(base.version()).isEqualTo(2);

    // The first version was retired: a request still holding it is scored by the newest and is told
    // so.
    double[] out = new double[1];
    ServedModel by = first.score(List.of(row(5)), out, new String[1]);
    assertThat(by.version()).isEqualTo(reference.version());
    assertThat(out[0]).isEqualTo(reference.score(row(5))[0]);

    // A corrupt record is skipped and counted; the model serves on, and the next update still
    // applies.
    byte[] corrupt = trainAndCapture(1, false).bytes();
    corrupt[40] ^= 1;
    follower.offer(List.of(Map.entry("m", corrupt)));
    assertThat(follower.rejected()).isEqualTo(1);
    assertScoresAsReplica(follower.model("m").orElseThrow(), reference);
    ModelUpdate afterGap = trainAndCapture(1, false);
    follower.offer(records(afterGap));
    assertThat(follower.model("m").orElseThrow().version())
        .as("after a gap it waits for a full update")
        .isEqualTo(reference.version());
    ModelUpdate nextFull = trainAndCapture(1, true);
    follower.offer(records(nextFull));
    assertScoresAsReplica(follower.model("m").orElseThrow(), ScoringReplica.startingFrom(nextFull));
  }

  @Test
  void
      aServerJoiningLateAssemblesItsModelFromBaseSlicesAndARestoredLearnersFullUpdateStartsItAfresh()
          throws Exception {
    ModelUpdate full = trainAndCapture(2, true);
    ScoringReplica reference = ScoringReplica.startingFrom(full);
    List<ModelUpdate> stream =
        new ArrayList<>(); // the topic after the full update: increment, slice, ...
    for (int k = 0; k < 7; k++) {
      ModelUpdate next = trainAndCapture(10, false); // 160 events: new users in every increment
      assertThat(reference.apply(next)).isTrue();
      stream.add(next);
      ModelUpdate slice = learner.updates().baseSlice(3);
      assertThat(reference.apply(slice)).as("a replica that has its model skips slices").isFalse();
      stream.add(slice);
    }
    assertThat(stream)
        .extracting(u -> u.slice() ? "S" + u.sliceIndex() : "I")
        .containsExactly(
            "I", "S0", "I", "S1", "I", "S2", "I", "S0", "I", "S1", "I", "S2", "I", "S0");

    // Joining at the second increment: waits for a first slice (the 4th), is whole after the next
    // S2 (the 12th).
    List<Long> served = new ArrayList<>();
    UpdateFollower follower =
        new UpdateFollower(2, (id, version, epoch, sequence) -> served.add(version));
    for (int k = 2; k < stream.size(); k++) {
      follower.offer(records(stream.get(k)));
      assertThat(follower.model("m").isPresent())
          .as("served after update %d", k)
          .isEqualTo(k >= 11);
    }
    assertScoresAsReplica(follower.model("m").orElseThrow(), reference);
    assertThat(served).hasSize(2); // whole at the 12th, then the last increment

    // A server that starts at the full update keeps it while slices go by (they never restart a
    // whole model),
    // also when they arrive in the same poll as the full update.
    UpdateFollower fromFull = new UpdateFollower(1, (id, version, epoch, sequence) -> {});
    List<ModelUpdate> all = new ArrayList<>(List.of(full));
    all.addAll(stream);
    for (int k = 0; k < all.size(); k += 3) {
      fromFull.offer(
          records(all.subList(k, Math.min(all.size(), k + 3)).toArray(ModelUpdate[]::new)));
      assertThat(fromFull.model("m")).as("served from the first poll on").isPresent();
    }
    assertScoresAsReplica(fromFull.model("m").orElseThrow(), reference);

    // The learner restores to an older state (a new epoch, fewer values known): its full update
    // replaces the model, so values only the lost updates had learned score as unknown again, as on
    // the restored learner.
    Thread.sleep(2); // a later epoch on this clock
    ModelRuntime restored =
        new ModelRuntime(
            FeatureSpec.parse(Snapshots.SPEC),
            ModelConfig.builder(ModelKind.HIFORMER).d(8).seed(3).build(),
            OptimizerConfig.defaults(),
            MICRO_BATCH);
    for (int i = 0; i < MICRO_BATCH; i++) {
      restored.learnOnly(row(i), Map.of("click", (double) (i % 3 == 0 ? 1 : 0)), 0);
    }
    ModelUpdate restart = restored.updates().capture(true, true);
    assertThat(restart.epoch()).isGreaterThan(full.epoch());
    follower.offer(records(restart));
    ScoringReplica afresh = ScoringReplica.startingFrom(restart);
    ServedModel now = follower.model("m").orElseThrow();
    assertThat(now.version()).isEqualTo(afresh.version());
    for (int i = 0; i < 60; i += 7) {
      int probe = event - 1 - i; // values seen only by the lost updates
      assertThat(now.score(row(probe)).get("click"))
          .as("probe %d", probe)
          .isEqualTo(afresh.score(row(probe))[0]);
    }
  }

  @Test
  void underConcurrentScoringEveryResponseEqualsTheScoresOfTheVersionItNames() throws Exception {
    UpdateFollower follower = new UpdateFollower(2, (id, version, epoch, sequence) -> {});
    ModelUpdate full = trainAndCapture(1, true);
    ScoringReplica reference = ScoringReplica.startingFrom(full);
    Map<Long, double[]> expected = new ConcurrentHashMap<>();
    List<Row> probes = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      probes.add(row(i * 53));
    }
    expected.put(reference.version(), expectedScores(reference, probes));
    follower.offer(records(full));

    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<String> mismatch = new AtomicReference<>();
    List<Thread> clients = new ArrayList<>();
    long[] responses = new long[2];
    for (int t = 0; t < 2; t++) {
      int client = t;
      Thread th =
          new Thread(
              () -> {
                double[] out = new double[probes.size()];
                String[] errors = new String[probes.size()];
                try {
                  while (!stop.get()) {
                    ServedModel by = follower.model("m").orElseThrow().score(probes, out, errors);
                    double[] want = expected.get(by.version());
                    if (want == null || !close(want, out)) {
                      mismatch.compareAndSet(
                          null,
                          "version "
                              + by.version()
                              + ": got "
                              + java.util.Arrays.toString(out)
                              + ", want "
                              + java.util.Arrays.toString(want));
                    }
                    responses[client]++;
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      th.start();
      clients.add(th);
    }
    for (int k = 0; k < 30; k++) {
      ModelUpdate next = trainAndCapture(1, false);
      reference.apply(next);
      expected.put(
          reference.version(), expectedScores(reference, probes)); // before requests can see it
      follower.offer(records(next));
    }
    stop.set(true);
    for (Thread th : clients) {
      th.join();
    }
    assertThat(mismatch.get()).isNull();
    assertThat(responses[0] + responses[1]).isPositive();
    assertThat(follower.model("m").orElseThrow().version()).isEqualTo(reference.version());
  }

  /**
   * Equal up to the float rounding of a batched forward pass, 1e-6 (versions differ by far more).
   */
  private static boolean close(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) {
      if (Math.abs(a[i] - b[i]) > 1e-6) {
        return false;
      }
    }
    return true;
  }

  private static double[] expectedScores(ScoringReplica replica, List<Row> probes)
      throws Exception {
    double[] out = new double[probes.size()];
    for (int i = 0; i < probes.size(); i++) {
      out[i] = replica.score(probes.get(i))[0];
    }
    return out;
  }
}
