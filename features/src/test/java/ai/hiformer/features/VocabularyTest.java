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
    ExactVocabulary v = new ExactVocabulary(1, 0, 2, (id, gen) -> recycled.add(new int[] {id, (int) gen}));
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
    String spec = "{\"name\": \"t\", \"format\": \"jsonl\", \"tasks\": [{\"name\": \"y\"}], \"fields\": ["
        + "{\"name\": \"plain\", \"kind\": \"categorical\"},"
        + "{\"name\": \"small\", \"kind\": \"categorical\", \"embedding\": {\"capacity\": 3}},"
        + "{\"name\": \"unbounded\", \"kind\": \"categorical\", \"embedding\": {\"capacity\": 0}},"
        + "{\"name\": \"hashed\", \"kind\": \"categorical\", \"embedding\": {\"keys\": \"hashed\", \"buckets\": 8}}]}";
    var fields = ai.hiformer.features.spec.FeatureSpec.parse(spec).fields();
    assertThat(fields).extracting(f -> f.embedding().capacity())
        .containsExactly(ai.hiformer.features.spec.EmbeddingSpec.DEFAULT_CAPACITY, 3, 0, 0);
    FeatureEncoder encoder = new FeatureEncoder(ai.hiformer.features.spec.FeatureSpec.parse(spec), null);
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

  @Test
  void hashedKeysAreStableAndBounded() {
    HashedVocabulary v = new HashedVocabulary(100);
    for (int i = 0; i < 1000; i++) {
      int id = v.idFor("key" + i, i);
      assertThat(id).isBetween(1, 100);
      assertThat(v.lookup("key" + i)).isEqualTo(id);
    }
    assertThat(HashedVocabulary.fnv1a64("a")).isEqualTo(0xaf63dc4c8601ec8cL); // the published FNV-1a test vector
  }
}
