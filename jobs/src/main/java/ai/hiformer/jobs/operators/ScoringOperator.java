package ai.hiformer.jobs.operators;

import ai.hiformer.jobs.api.PublishedUpdate;
import ai.hiformer.jobs.api.Scored;
import org.apache.flink.streaming.api.operators.co.CoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Runs a {@link ScoringFunction} and gives it what a function alone lacks to score events in
 * batches: a processing-time timer (the end of an event's wait) and the output outside {@code
 * processElement}. Staged events are scored before every checkpoint barrier, so that their scores
 * belong to the checkpoint their events do, and at the end of input.
 *
 * @param <T> the event type
 */
public final class ScoringOperator<T> extends CoProcessOperator<T, PublishedUpdate, Scored> {
  private static final long serialVersionUID = 1L;

  private transient StreamRecord<Scored> reuse;
  private transient boolean timerPending; // one at a time: a later wait never ends before it

  public ScoringOperator(ScoringFunction<T> function) {
    super(function);
  }

  @Override
  public void open() throws Exception {
    super.open();
    reuse = new StreamRecord<>(null);
    timerPending = false;
    function()
        .batching(
            new ScoringFunction.Batching() {
              @Override
              public void emit(Scored scored, long timestamp) {
                if (timestamp == Long.MIN_VALUE) {
                  reuse.replace(scored);
                  reuse.eraseTimestamp();
                } else {
                  reuse.replace(scored, timestamp);
                }
                output.collect(reuse);
              }

              @Override
              public void scoreStagedAt(long atMillis) {
                if (!timerPending) {
                  timerPending = true;
                  getProcessingTimeService().registerTimer(atMillis, t -> onWaitOver());
                }
              }
            });
  }

  private void onWaitOver() {
    timerPending = false;
    function().scoreStaged();
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    function().scoreStaged();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void finish() throws Exception {
    function().scoreStaged();
    super.finish();
  }

  @SuppressWarnings("unchecked")
  private ScoringFunction<T> function() {
    return (ScoringFunction<T>) userFunction;
  }
}
