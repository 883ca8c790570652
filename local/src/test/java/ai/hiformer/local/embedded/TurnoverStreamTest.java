package ai.hiformer.local.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The soak's stream: new ids keep arriving and old ones stop being drawn. */
class TurnoverStreamTest {
  @Test
  void idsSlideOnAtTheStatedRate() {
    TurnoverStream s = new TurnoverStream(3, 100, 50, 10);
    Set<Integer> firstUsers = new HashSet<>();
    Set<Integer> users = new HashSet<>();
    Set<Integer> items = new HashSet<>();
    int events = 20_000;
    for (int i = 0; i < events; i++) {
      SyntheticStream.Event e = s.next();
      if (i < 1000) {
        firstUsers.add(e.user());
      }
      if (i >= events - 1000) {
        // the window has slid by (events − 1000) / 10 ids: the first ones are never drawn again
        assertThat(e.user()).isGreaterThanOrEqualTo((events - 1000) / 10);
      }
      users.add(e.user());
      items.add(e.item());
    }
    assertThat(firstUsers).hasSizeLessThanOrEqualTo(100 + 1000 / 10);
    assertThat((long) users.size() + items.size()).isLessThanOrEqualTo(s.idsSeenAfter(events));
    // Nearly every id the window passed over was drawn: 2,000 new users and items each.
    assertThat(users.size()).isGreaterThan(2000);
    assertThat(items.size()).isGreaterThan(2000);
  }
}
