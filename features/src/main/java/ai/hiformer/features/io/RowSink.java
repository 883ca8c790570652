package ai.hiformer.features.io;

/** Receives a reader's rows in stream order, and the rows it had to skip. */
public interface RowSink {
  void accept(Row row) throws BadRowException;

  /** A record skipped because it is malformed; {@code reason} says why. */
  void rejected(String origin, String reason);

  /**
   * Hands a reader's row on; a row the sink refuses as malformed is counted as rejected with its
   * reason.
   */
  default void offer(Row row) {
    try {
      accept(row);
    } catch (BadRowException e) {
      rejected(row.origin(), e.getMessage());
    }
  }
}
