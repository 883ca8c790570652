package ai.hiformer.features;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.vocab.ExactVocabulary;
import ai.hiformer.features.vocab.HashedVocabulary;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VocabularyTest {
  @Test
  void exactKeysGetIdsInOrderOfFirstAppearance() {
    ExactVocabulary v = new ExactVocabulary(1, 0, 0, null);
    assertThat(v.idFor("b", 0)).isEqualTo(1);
    assertThat(v.idFor("a", 1)).isEqualTo(2);
    assertThat(v.idFor("b", 2)).isEqualTo(1);
    assertThat(v.lookup("zzz")).isZero();
    assertThat(v.rowCount()).isEqualTo(3);
  }

  @Test
  void aValueSharesTheRareRowUntilItIsAdmitted() {
    ExactVocabulary v = new ExactVocabulary(3, 0, 0, null);
    assertThat(v.idFor("x", 0)).isEqualTo(ExactVocabulary.RARE_ID);
    assertThat(v.idFor("y", 1)).isEqualTo(ExactVocabulary.RARE_ID);
    assertThat(v.idFor("x", 2)).isEqualTo(ExactVocabulary.RARE_ID);
    assertThat(v.idFor("x", 3)).isEqualTo(2); // third sighting: its own row
    assertThat(v.idFor("x", 4)).isEqualTo(2);
    assertThat(v.lookup("y")).isZero();
  }

  @Test
  void capacityEvictsTheLeastRecentlySeenAndRecyclesItsRow() {
    List<int[]> recycled = new ArrayList<>();
    ExactVocabulary v =
        new ExactVocabulary(1, 0, 2, (id, gen) -> recycled.add(new int[] {id, (int) gen}));
    int a = v.idFor("a", 0);
    int b = v.idFor("b", 1);
    v.idFor("a", 2); // a is now the most recent
    int c = v.idFor("c", 3); // full: evicts b, reuses its row
    assertThat(c).isEqualTo(b);
    assertThat(v.lookup("b")).isZero();
    assertThat(v.lookup("a")).isEqualTo(a);
    assertThat(recycled).hasSize(1);
    assertThat(recycled.get(0)[0]).isEqualTo(b);
    assertThat(v.size()).isEqualTo(2);
    assertThat(v.evictions()).isEqualTo(1);
  }

  @Test
  void anExactVocabularyIsBoundedUnlessTheSpecSaysOtherwise() {
    String spec =
        "{\"name\": \"t\", \"format\": \"jsonl\", \"tasks\": [{\"name\": \"y\"}], \"fields\": ["
            + "{\"name\": \"plain\", \"kind\": \"categorical\"},"
            + "{\"name\": \"small\", \"kind\": \"categorical\", \"embedding\": {\"capacity\": 3}},"
            + "{\"name\": \"unbounded\", \"kind\": \"categorical\", \"embedding\": {\"capacity\": 0}},"
            + "{\"name\": \"hashed\", \"kind\": \"categorical\", \"embedding\": {\"keys\": \"hashed\", \"buckets\": 8}}]}";
    var fields = ai.hiformer.features.spec.FeatureSpec.parse(spec).fields();
    assertThat(fields)
        .extracting(f -> f.embedding().capacity())
        .containsExactly(ai.hiformer.features.spec.EmbeddingSpec.DEFAULT_CAPACITY, 3, 0, 0);
    FeatureEncoder encoder =
        new FeatureEncoder(ai.hiformer.features.spec.FeatureSpec.parse(spec), null);
    for (int i = 0; i < 10; i++) {
      encoder.vocabulary(1).idFor("v" + i, i);
    }
    assertThat(encoder.vocabularyEvictions()).as("10 values through a capacity of 3").isEqualTo(7);
  }

  @Test
  void valuesUnseenForTheTtlAreEvicted() {
    ExactVocabulary v = new ExactVocabulary(1, 10, 0, null);
    int a = v.idFor("a", 0);
    v.idFor("b", 5);
    v.idFor("b", 12);
    int c = v.idFor("c", 20); // a last seen at 0: expired
    assertThat(c).isEqualTo(a);
    assertThat(v.lookup("a")).isZero();
    assertThat(v.lookup("b")).isNotZero();
  }

  /**
   * A stream of keys over {@code distinct} values (a few hot, many rare), some events with several
   * values.
   */
  private static void feed(
      ExactVocabulary v,
      java.util.SplittableRandom rng,
      long from,
      int n,
      int distinct,
      List<Integer> ids) {
    for (long p = from; p < from + n; p++) {
      int values =
          rng.nextInt(4) == 0 ? 3 : 1; // a multi-valued field: several values at one position
      for (int k = 0; k < values; k++) {
        int key = rng.nextInt(3) == 0 ? rng.nextInt(20) : rng.nextInt(distinct);
        ids.add(v.idFor("k" + key, p));
      }
    }
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "admission {0}, ttl {1}, capacity {2}")
  @org.junit.jupiter.params.provider.CsvSource({"1, 0, 0", "1, 0, 300", "1, 200, 0", "3, 150, 400"})
  void stateSavedWholeOrEntryByEntryRestoresTheSameDecisions(int admission, long ttl, int capacity)
      throws Exception {
    ExactVocabulary a = new ExactVocabulary(admission, ttl, capacity, null);
    java.util.Map<Integer, byte[]> saved = new java.util.TreeMap<>();
    feed(a, new java.util.SplittableRandom(1), 0, 2000, 1000, new ArrayList<>());
    a.drainUnsaved(saved::put);
    feed(a, new java.util.SplittableRandom(2), 2000, 500, 1000, new ArrayList<>());
    int changed = a.drainUnsaved(saved::put);
    assertThat(changed).as("entries changed by 500 events").isPositive().isLessThan(4 * 500 + 1);

    var head = new java.io.ByteArrayOutputStream();
    a.writeHead(new java.io.DataOutputStream(head));
    ExactVocabulary b = new ExactVocabulary(admission, ttl, capacity, null);
    b.readFrom(new java.io.DataInputStream(new java.io.ByteArrayInputStream(head.toByteArray())));
    for (var e : saved.entrySet()) {
      b.restoreEntry(e.getKey(), e.getValue());
    }
    b.finishRestore();

    var whole = new java.io.ByteArrayOutputStream();
    a.writeTo(new java.io.DataOutputStream(whole));
    ExactVocabulary c = new ExactVocabulary(admission, ttl, capacity, null);
    c.readFrom(new java.io.DataInputStream(new java.io.ByteArrayInputStream(whole.toByteArray())));

    List<Integer> wantIds = new ArrayList<>();
    List<Integer> gotB = new ArrayList<>();
    List<Integer> gotC = new ArrayList<>();
    feed(a, new java.util.SplittableRandom(3), 2500, 3000, 1500, wantIds);
    feed(b, new java.util.SplittableRandom(3), 2500, 3000, 1500, gotB);
    feed(c, new java.util.SplittableRandom(3), 2500, 3000, 1500, gotC);
    assertThat(gotB).as("restored from head and entries").isEqualTo(wantIds);
    assertThat(gotC).as("restored from the whole state").isEqualTo(wantIds);
    assertThat(b.size()).isEqualTo(a.size());
    if (capacity > 0 || ttl > 0) {
      assertThat(a.evictions()).as("the stream exercises eviction").isPositive();
    }
  }

  @Test
  void aHeadWithoutItsEntriesIsRefused() throws Exception {
    ExactVocabulary a = new ExactVocabulary(1, 0, 0, null);
    a.idFor("x", 0);
    var head = new java.io.ByteArrayOutputStream();
    a.writeHead(new java.io.DataOutputStream(head));
    ExactVocabulary b = new ExactVocabulary(1, 0, 0, null);
    b.readFrom(new java.io.DataInputStream(new java.io.ByteArrayInputStream(head.toByteArray())));
    org.assertj.core.api.Assertions.assertThatThrownBy(b::finishRestore)
        .hasMessageContaining("0 values restored");
  }

  @Test
  void aValueCostsAboutThirtyBytesOfIndexWhateverItsLength() {
    ExactVocabulary v = new ExactVocabulary(1, 0, 2_000_000, null);
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      v.idFor("a-rather-long-user-identifier-" + i, i);
    }
    assertThat(v.size()).isEqualTo(n);
    assertThat((double) v.indexBytes() / n).as("index bytes per value").isLessThan(48);
    for (int i = 0; i < n; i += 997) {
      assertThat(v.lookup("a-rather-long-user-identifier-" + i)).isEqualTo(i + 1);
    }
  }

  @Test
  void hashedKeysAreStableAndBounded() {
    HashedVocabulary v = new HashedVocabulary(100);
    for (int i = 0; i < 1000; i++) {
      int id = v.idFor("key" + i, i);
      assertThat(id).isBetween(1, 100);
      assertThat(v.lookup("key" + i)).isEqualTo(id);
    }
    assertThat(HashedVocabulary.fnv1a64("a"))
        .isEqualTo(0xaf63dc4c8601ec8cL); // the published FNV-1a test vector
  }

  @Test
  void fingerprintsHashTheUtf8BytesOfAnyText() {
    java.util.Random random = new java.util.Random(7);
    // ASCII, two- and three-byte characters, pairs of surrogates, and lone surrogates (which the
    // UTF-8 encoder writes as '?').
    char[] alphabet = {
      'a', 'Z', '0', '\u00e9', '\u07ff', '\u0800', '\u4e2d', '\uffff', '\ud83d', '\ude00'
    };
    for (int t = 0; t < 2000; t++) {
      StringBuilder sb = new StringBuilder();
      for (int i = random.nextInt(12); i > 0; i--) {
        sb.append(alphabet[random.nextInt(alphabet.length)]);
      }
      String s = sb.toString();
      assertThat(HashedVocabulary.fnv1a64(s)).as("fingerprint of %s", s).isEqualTo(viaBytes(s));
    }
    assertThat(HashedVocabulary.fnv1a64("\ud83d\ude00")).isEqualTo(viaBytes("\ud83d\ude00"));
  }

  private static long viaBytes(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }
}
