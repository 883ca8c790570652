package ai.hiformer.jobs.stream;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decode and validate: good events go on, their columns encoded ({@link
 * ImpressionCodec#withColumnsEncoded}), anything else to the dead-letter output with its reason.
 */
public final class DecodeEvents extends ProcessFunction<RawRecord, ValidEvent> {
  private static final long serialVersionUID = 1L;

  private final JobConfig config;
  private transient EventValidator validator;
  private transient ImpressionCodec columns;
  private transient Counter deadLetters;
  private transient Counter accepted;
  private transient long seen;
  private transient boolean drill;

  public DecodeEvents(JobConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext context) {
    EventValidator.Decoder decoder = MappedRecords.eventDecoder(config)::decode;
    validator =
        new EventValidator(
            config.get(JobConfig.MODEL_IDS),
            config.spec(),
            config.get(JobConfig.MAX_VALUE_CHARS),
            decoder);
    columns = new ImpressionCodec(config.spec());
    deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
    accepted = getRuntimeContext().getMetricGroup().counter("eventsAccepted");
    drill =
        config.get(JobConfig.FAIL_ONCE_AFTER_RECORDS) > 0
            && getRuntimeContext().getTaskInfo().getAttemptNumber() == 0;
  }

  @Override
  public void processElement(RawRecord r, Context ctx, Collector<ValidEvent> out) {
    if (drill && ++seen > config.get(JobConfig.FAIL_ONCE_AFTER_RECORDS)) {
      throw new IllegalStateException(
          "failure drill: chaos.fail-once-after-records = "
              + config.get(JobConfig.FAIL_ONCE_AFTER_RECORDS));
    }
    try {
      ValidEvent e = validator.validate(r.value);
      accepted.inc();
      out.collect(columns.withColumnsEncoded(e));
    } catch (EventValidator.Invalid invalid) {
      deadLetters.inc();
      ctx.output(
          DeadLetters.TAG,
          DeadLetters.encode(r.topic, r.partition, r.offset, invalid.getMessage(), r.value));
    }
  }
}
