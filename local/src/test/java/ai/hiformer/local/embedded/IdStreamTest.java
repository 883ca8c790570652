package ai.hiformer.local.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdStreamTest {
  @Test
  void theFirstEventsVisitEveryIdOnceThenIdsRepeatZipfLike() {
    int distinct = 100_001;
    IdStream stream = new IdStream(3, distinct);
    Set<String> users = new HashSet<>();
    Set<String> items = new HashSet<>();
    for (int i = 0; i < stream.coverage(); i++) {
      SyntheticStream.Event e = stream.next();
      users.add(e.text("user"));
      items.add(e.text("item"));
    }
    assertThat(users.size() + items.size())
        .as("distinct ids after the coverage phase")
        .isEqualTo(distinct);
    Map<String, Integer> counts = new HashMap<>();
    int draws = 200_000;
    for (int i = 0; i < draws; i++) {
      counts.merge(stream.next().text("item"), 1, Integer::sum);
    }
    assertThat(items).containsAll(counts.keySet());
    int top =
        counts.values().stream()
            .sorted((a, b) -> b - a)
            .limit(distinct / 2 / 100)
            .mapToInt(Integer::intValue)
            .sum();
    assertThat((double) top / draws)
        .as("share of the most frequent 1 % of items")
        .isGreaterThan(0.4);
    assertThat(counts.size()).as("and still a long tail").isGreaterThan(distinct / 4);
  }

  @Test
  void theSameSeedGivesTheSameStream() {
    IdStream a = new IdStream(5, 1000);
    IdStream b = new IdStream(5, 1000);
    for (int i = 0; i < 5000; i++) {
      SyntheticStream.Event x = a.next();
      SyntheticStream.Event y = b.next();
      assertThat(x).isEqualTo(y);
    }
  }
}
