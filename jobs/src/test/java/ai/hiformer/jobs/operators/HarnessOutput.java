package ai.hiformer.jobs.operators;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/** What an operator test harness has emitted. */
final class HarnessOutput {
  private HarnessOutput() {}

  /** The records emitted so far, in order (watermarks and other elements left out); clears it. */
  static <T> List<T> drain(AbstractStreamOperatorTestHarness<T> h) {
    List<T> out = new ArrayList<>();
    for (Object o : h.getOutput()) {
      if (o instanceof StreamRecord<?> r) {
        @SuppressWarnings("unchecked") // the harness emits OUT records only
        T value = (T) r.getValue();
        out.add(value);
      }
    }
    h.getOutput().clear();
    return out;
  }
}
