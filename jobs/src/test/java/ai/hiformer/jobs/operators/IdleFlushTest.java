package ai.hiformer.jobs.operators;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdleFlushTest {
  @Test
  void aTimerFiresWithinAQuarterIntervalAfterTheIdleTime() {
    IdleFlush f = new IdleFlush(1000);
    for (long t : new long[] {0, 1, 249, 250, 999, 123_456}) {
      assertThat(f.timerFor(t))
          .as("after %d", t)
          .isGreaterThan(t + 1000)
          .isLessThanOrEqualTo(t + 1250);
    }
  }

  @Test
  void eventsRegisterOneTimerPerQuarterInterval() {
    IdleFlush f = new IdleFlush(1000);
    int registered = 0;
    for (long t = 0; t < 1000; t += 10) { // 100 events in one interval
      if (f.afterEvent("m", t) != IdleFlush.NONE) {
        registered++;
      }
    }
    assertThat(registered).isEqualTo(4);
    assertThat(f.idle("m", 1989)).isFalse(); // the last event was at 990
    assertThat(f.idle("m", 1990)).isTrue();
    assertThat(f.idle("other", 0)).isTrue(); // no events: nothing to wait for
  }

  @Test
  void theFirstTimerAfterARestoreStartsTheClockOnce() {
    IdleFlush f = new IdleFlush(1000);
    long at = f.afterRestore("m", 5000);
    assertThat(at).isEqualTo(f.timerFor(5000));
    assertThat(f.idle("m", 5500)).isFalse();
    assertThat(f.afterRestore("m", 6000)).isEqualTo(IdleFlush.NONE);
    assertThat(f.idle("m", at)).isTrue();
  }
}
