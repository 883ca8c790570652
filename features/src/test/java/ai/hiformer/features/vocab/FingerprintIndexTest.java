package ai.hiformer.features.vocab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FingerprintIndexTest {
  @Test
  void itAgreesWithAMapThroughGrowthAndRemovals() {
    SplittableRandom r = new SplittableRandom(5);
    int n = 5000; // several growths past the first 1,024 slots
    long[] fingerprint = new long[n + 1];
    FingerprintIndex index = new FingerprintIndex();
    Map<Long, Integer> truth = new HashMap<>();
    for (int id = 1; id <= n; id++) {
      fingerprint[id] = r.nextLong();
      index.put(id, fingerprint);
      truth.put(fingerprint[id], id);
    }
    for (int id = 1; id <= n; id += 3) { // removals leave no tombstones behind
      index.remove(fingerprint[id], fingerprint);
      truth.remove(fingerprint[id]);
    }
    assertThat(index.size()).isEqualTo(truth.size());
    for (int id = 1; id <= n; id++) {
      assertThat(index.get(fingerprint[id], fingerprint))
          .as("id %d", id)
          .isEqualTo(truth.getOrDefault(fingerprint[id], 0));
    }
    assertThat(index.get(42L, fingerprint)).isZero();
    index.remove(42L, fingerprint); // absent: nothing happens
    assertThat(index.size()).isEqualTo(truth.size());
  }

  @Test
  void theOthersStayFindableAfterOneLeaves() {
    // Removing shifts later members of a probe run back into the hole; every other value must still
    // be found where the shift left it.
    long[] fingerprint = new long[40];
    FingerprintIndex index = new FingerprintIndex();
    for (int id = 1; id < 40; id++) {
      fingerprint[id] = (long) id << 40;
      index.put(id, fingerprint);
    }
    index.remove(fingerprint[1], fingerprint);
    for (int id = 2; id < 40; id++) {
      assertThat(index.get(fingerprint[id], fingerprint)).isEqualTo(id);
    }
    index.clear();
    assertThat(index.size()).isZero();
    assertThat(index.get(fingerprint[5], fingerprint)).isZero();
  }
}
