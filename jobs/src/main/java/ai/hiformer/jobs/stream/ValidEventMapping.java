package ai.hiformer.jobs.stream;

import ai.hiformer.features.io.Row;
import ai.hiformer.jobs.api.EventMapping;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.WireCodec;
import java.util.Map;

/** The streaming job's validated events for the model operator (decoded already; read in place). */
public final class ValidEventMapping implements EventMapping<ValidEvent> {
  private static final long serialVersionUID = 1L;

  private transient EventRow row;
  private transient WireCodec<Event> codec;

  @Override
  public String modelId(ValidEvent v) {
    return v.modelId;
  }

  @Override
  public String requestId(ValidEvent v) {
    return v.requestId;
  }

  @Override
  public long eventTimeMillis(ValidEvent v) {
    return v.eventTimeMillis;
  }

  @Override
  public Row features(ValidEvent v) {
    if (row == null) {
      row = new EventRow();
    }
    return row.reset(v, v.requestId);
  }

  @Override
  public Map<String, Double> labels(ValidEvent v) {
    return v.labels;
  }

  @Override
  public boolean score(ValidEvent v) {
    return !v.trainOnly;
  }

  @Override
  public boolean latePositive(ValidEvent v) {
    return v.latePositive;
  }

  /** Re-encoded: only a rejection after validation needs the bytes, which validation makes rare. */
  @Override
  public byte[] payload(ValidEvent v) {
    if (codec == null) {
      codec = WireCodec.events();
    }
    return codec.encode(v.toEvent());
  }
}
