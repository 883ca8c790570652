package ai.hiformer.cli.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AfterStreamTest {
  /** A tail of 500 ms intervals with the given job cores in each. */
  private static AfterStream tail(long windowClose, double... cores) {
    List<long[]> series = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < cores.length; i++) {
      series.add(new long[] {i * 500L, Math.round(cores[i] * 1000)});
      values.add(cores[i]);
    }
    return AfterStream.of(windowClose, series, values);
  }

  @Test
  void theJobReturnsWhenItsCpuStaysNearTheTailsIdleLevel() {
    AfterStream a = tail(3000, 0.9, 0.8, 0.5, 0.3, 0.6, 0.12, 0.10, 0.11, 0.10, 0.09, 0.10, 0.12);
    assertThat(a.idleCores()).isBetween(0.10, 0.11);
    assertThat(a.returnMillis()).isEqualTo(2500); // after the last burst at 2,000 ms
    assertThat(a.returnAfterWindowCloseMillis()).isZero(); // it was idle before the window closed
  }

  @Test
  void aStormOfWorkAfterTheWindowClosesCountsFromTheClose() {
    AfterStream a =
        tail(1000, 0.1, 0.1, 0.1, 0.9, 1.2, 1.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1);
    assertThat(a.returnMillis()).isEqualTo(3000);
    assertThat(a.returnAfterWindowCloseMillis()).isEqualTo(2000);
  }

  @Test
  void aTailTooShortForAnIdleLevelSaysSo() {
    AfterStream a = tail(0, 0.5, 0.4);
    assertThat(a.idleCores()).isNaN();
    assertThat(a.returnMillis()).isEqualTo(-1);
    assertThat(a.returnAfterWindowCloseMillis()).isEqualTo(-1);
  }
}
