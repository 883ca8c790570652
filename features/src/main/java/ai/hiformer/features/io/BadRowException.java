package ai.hiformer.features.io;

/**
 * A record that cannot become an example; the message says why. Readers and encoders skip and count
 * it.
 */
public final class BadRowException extends Exception {
  private static final long serialVersionUID = 1L;

  public BadRowException(String message) {
    super(message, null, false, false);
  }
}
