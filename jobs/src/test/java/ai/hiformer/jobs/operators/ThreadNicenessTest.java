package ai.hiformer.jobs.operators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The learner's thread yields CPU to the scorers' by its own nice value, and no other thread's
 * changes.
 */
class ThreadNicenessTest {
  @Test
  void lowersOnlyTheCallingThread() throws InterruptedException {
    OptionalInt before = ThreadNiceness.currentNiceness();
    assumeTrue(before.isPresent(), "needs Linux's /proc/thread-self");
    assumeTrue(
        before.getAsInt() < 7,
        "this test runs at nice " + before.getAsInt() + ": cannot lower it to 7");
    AtomicBoolean lowered = new AtomicBoolean();
    AtomicReference<OptionalInt> inside = new AtomicReference<>();
    Thread learner =
        new Thread(
            () -> {
              lowered.set(ThreadNiceness.lowerCurrentThread(7));
              inside.set(ThreadNiceness.currentNiceness());
            });
    learner.start();
    learner.join();

    assertThat(lowered).isTrue();
    assertThat(inside.get()).hasValue(7);
    assertThat(ThreadNiceness.currentNiceness()).isEqualTo(before);
  }

  @Test
  void niceZeroLeavesTheThreadAsItIs() {
    OptionalInt before = ThreadNiceness.currentNiceness();
    assertThat(ThreadNiceness.lowerCurrentThread(0)).isTrue();
    assertThat(ThreadNiceness.currentNiceness()).isEqualTo(before);
  }
}
