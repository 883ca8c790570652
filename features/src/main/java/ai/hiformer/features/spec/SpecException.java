package ai.hiformer.features.spec;

/** A feature specification that cannot be used; the message names the field and the problem. */
public final class SpecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public SpecException(String message) {
    super(message);
  }
}
