package ai.hiformer.learner;

/**
 * A snapshot's content, captured right after the micro-batch that made it due, so it does not
 * depend on when checkpoints happen; it is written once a checkpoint taken after it completes.
 */
public record CapturedSnapshot(
    long version,
    byte[] learner,
    byte[] encoder,
    String modelConfig,
    long trainedExamples,
    long eventsScored,
    java.util.Map<String, Double> metrics) {}
