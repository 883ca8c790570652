package ai.hiformer.jobs.stream;

import ai.hiformer.features.spec.TaskSpec;
import ai.hiformer.schemas.Label;
import ai.hiformer.schemas.WireCodec;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decode and validate labels: known model and task, value 0 or 1; anything else is dead-lettered.
 */
public final class DecodeLabels extends ProcessFunction<RawRecord, ValidLabel> {
  private static final long serialVersionUID = 1L;

  private final JobConfig config;
  private transient MappedRecords.Decoder<Label> decoder;
  private transient Set<String> tasks;
  private transient Counter deadLetters;

  public DecodeLabels(JobConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext context) {
    decoder = MappedRecords.labelDecoder(config);
    tasks = Set.copyOf(config.spec().tasks().stream().map(TaskSpec::name).toList());
    deadLetters = getRuntimeContext().getMetricGroup().counter("labelDeadLetters");
  }

  @Override
  public void processElement(RawRecord r, Context ctx, Collector<ValidLabel> out) {
    String reason;
    try {
      Label l = decoder.decode(r.value);
      if (l.getRequestId().length() > config.get(JobConfig.MAX_VALUE_CHARS)) {
        reason =
            "requestId is "
                + l.getRequestId().length()
                + " characters long; at most "
                + config.get(JobConfig.MAX_VALUE_CHARS)
                + " allowed";
      } else if (!config.get(JobConfig.MODEL_IDS).contains(l.getModelId())) {
        reason =
            "unknown model id '"
                + abbreviate(l.getModelId())
                + "'; configured: "
                + config.get(JobConfig.MODEL_IDS);
      } else if (!tasks.contains(l.getTask())) {
        reason = "label for unknown task '" + abbreviate(l.getTask()) + "'; tasks: " + tasks;
      } else if (l.getValue() != 0.0 && l.getValue() != 1.0) {
        reason = "label of task '" + l.getTask() + "' must be 0 or 1, got " + l.getValue();
      } else {
        out.collect(
            new ValidLabel(
                l.getRequestId(),
                l.getModelId(),
                l.getTask(),
                l.getValue(),
                l.getTime().toEpochMilli()));
        return;
      }
    } catch (WireCodec.DecodeException e) {
      reason = e.getMessage();
    }
    deadLetters.inc();
    ctx.output(
        DeadLetters.TAG, DeadLetters.encode(r.topic, r.partition, r.offset, reason, r.value));
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "…";
  }
}
