package ai.hiformer.local.cluster;

/**
 * The names of a job's topics ({@code topics.*} of conf/job.properties).
 *
 * @param events impressions in
 * @param labels labels in
 * @param scores scores out
 * @param deadLetters rejected records out
 */
public record JobTopics(String events, String labels, String scores, String deadLetters) {
  /** The names {@code conf/job.properties} and {@code hiformer cluster start} use. */
  public static JobTopics defaults() {
    return new JobTopics("events", "labels", "scores", "dead-letters");
  }

  /** A run's own topics, {@code <prefix>-events} and so on. */
  public static JobTopics prefixed(String prefix) {
    return new JobTopics(
        prefix + "-events", prefix + "-labels", prefix + "-scores", prefix + "-dead-letters");
  }

  /** The job's arguments that point it at these topics. */
  public java.util.List<String> jobArgs() {
    return java.util.List.of(
        "--topics.events=" + events,
        "--topics.labels=" + labels,
        "--topics.scores=" + scores,
        "--topics.dead-letters=" + deadLetters);
  }

  public String[] all() {
    return new String[] {events, labels, scores, deadLetters};
  }
}
