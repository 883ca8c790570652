package ai.hiformer.jobs.stream;

import ai.hiformer.features.io.Row;
import ai.hiformer.jobs.api.EventMapping;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.WireCodec;
import java.util.Map;

/**
 * The streaming job's events for the model operator: a validated Avro event, decoded once when the operator
 * first asks about it (the mapping keeps the last one), read as a feature row by {@link EventRow}.
 */
final class ValidEventMapping implements EventMapping<ValidEvent> {
  private static final long serialVersionUID = 1L;

  private transient WireCodec<Event> codec;
  private transient EventRow row;
  private transient ValidEvent last;
  private transient Event decoded;

  private Event decode(ValidEvent v) {
    if (v != last) {
      if (codec == null) {
        codec = WireCodec.events();
        row = new EventRow();
      }
      try {
        decoded = codec.decode(v.payload);
      } catch (WireCodec.DecodeException e) {
        throw new IllegalStateException("an event that passed validation no longer decodes: " + e.getMessage(), e);
      }
      row.reset(decoded, v.requestId);
      last = v;
    }
    return decoded;
  }

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
    return decode(v).getEventTime().toEpochMilli();
  }

  @Override
  public Row features(ValidEvent v) {
    decode(v);
    return row;
  }

  @Override
  public Map<String, Double> labels(ValidEvent v) {
    return decode(v).getLabels();
  }

  @Override
  public boolean score(ValidEvent v) {
    return !v.trainOnly;
  }

  @Override
  public byte[] payload(ValidEvent v) {
    return v.payload;
  }
}
