package ai.hiformer.jobs.stream;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.features.spec.TaskSpec;
import ai.hiformer.schemas.Event;
import ai.hiformer.schemas.WireCodec;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether a raw events-topic record can be scored, without any state: it must decode as an
 * {@link Event}, name a configured model, keep every string within bounds, carry finite numbers
 * that the feature spec can parse, and labels (if any) of known tasks with values 0 or 1. No Flink
 * here.
 */
public final class EventValidator {
  /** How a record's bytes become an event (Avro or JSON); its exception's message is the reason. */
  public interface Decoder {
    Event decode(byte[] bytes) throws WireCodec.DecodeException;
  }

  private final Decoder codec;
  private final Set<String> modelIds;
  private final int maxChars;
  private final FeatureEncoder parser; // used only for its stateless validation pass
  private final Set<String> tasks;
  private final EventRow row = new EventRow();

  /** A validator of Avro events (single-object encoded). */
  public EventValidator(Set<String> modelIds, FeatureSpec spec, int maxChars) {
    this(modelIds, spec, maxChars, WireCodec.events()::decode);
  }

  public EventValidator(Set<String> modelIds, FeatureSpec spec, int maxChars, Decoder decoder) {
    this.codec = decoder;
    this.modelIds = Set.copyOf(modelIds);
    this.maxChars = maxChars;
    this.parser = new FeatureEncoder(spec, null);
    this.tasks = Set.copyOf(spec.tasks().stream().map(TaskSpec::name).toList());
  }

  /** The decoded event, or throws with the dead-letter reason. */
  public ValidEvent validate(byte[] bytes) throws Invalid {
    Event e;
    try {
      e = codec.decode(bytes);
    } catch (WireCodec.DecodeException ex) {
      throw new Invalid(ex.getMessage());
    }
    checkLength("requestId", e.getRequestId());
    checkLength("modelId", e.getModelId());
    if (!modelIds.contains(e.getModelId())) {
      throw new Invalid(
          "unknown model id '" + abbreviate(e.getModelId()) + "'; configured: " + modelIds);
    }
    for (Map.Entry<String, String> c : e.getCategorical().entrySet()) {
      checkLength("categorical key", c.getKey());
      checkLength("categorical '" + abbreviate(c.getKey()) + "'", c.getValue());
    }
    for (Map.Entry<String, List<String>> m : e.getMulti().entrySet()) {
      checkLength("multi key", m.getKey());
      for (String v : m.getValue()) {
        checkLength("multi '" + abbreviate(m.getKey()) + "'", v);
      }
    }
    for (Map.Entry<String, Double> n : e.getNumeric().entrySet()) {
      checkLength("numeric key", n.getKey());
      if (!Double.isFinite(n.getValue())) {
        throw new Invalid(
            "numeric '" + abbreviate(n.getKey()) + "' is not finite: " + n.getValue());
      }
    }
    for (Map.Entry<String, Double> l : e.getLabels().entrySet()) {
      if (!tasks.contains(l.getKey())) {
        throw new Invalid(
            "label for unknown task '" + abbreviate(l.getKey()) + "'; tasks: " + tasks);
      }
      double v = l.getValue();
      if (v != 0.0 && v != 1.0) {
        throw new Invalid("label of task '" + l.getKey() + "' must be 0 or 1, got " + v);
      }
    }
    ValidEvent v = ValidEvent.of(e);
    try {
      parser.validate(row.reset(v, v.requestId));
    } catch (BadRowException ex) {
      throw new Invalid(ex.getMessage());
    }
    return v;
  }

  private void checkLength(String what, String s) throws Invalid {
    if (s.length() > maxChars) {
      throw new Invalid(
          what + " is " + s.length() + " characters long; at most " + maxChars + " allowed");
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "…";
  }

  /** Why a record is unusable: the dead-letter reason. */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    public Invalid(String reason) {
      super(reason, null, false, false);
    }
  }
}
