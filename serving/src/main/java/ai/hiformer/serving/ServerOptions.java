package ai.hiformer.serving;

import ai.hiformer.model.config.Option;
import ai.hiformer.model.config.OptionValues;
import ai.hiformer.model.config.OptionsBuilder;
import java.nio.file.Path;
import java.util.List;

/**
 * How the scoring server listens and what it tolerates, each option declared once below (its key is
 * also the {@code serve} flag: {@code --max-connections 64}). Immutable and validated on
 * construction: a bad value fails at start-up naming the option and the allowed values.
 */
public final class ServerOptions {
  public static final Option<String> BIND =
      Option.string(
          "bind",
          "127.0.0.1",
          "interface to listen on (127.0.0.1: this host only; 0.0.0.0: every interface)");
  public static final Option<Integer> PORT =
      Option.integer("port", 8080, 0, 65535, "TCP port (0: any free port)");
  public static final Option<Integer> THREADS =
      Option.integer(
          "threads",
          4,
          1,
          1024,
          "event-loop threads; each reads, scores and answers its connections' requests (so also the scorers per model)");
  public static final Option<Integer> MAX_CONNECTIONS =
      Option.integer("max-connections", 1024, 1, "open connections beyond this are closed at once");
  public static final Option<Long> REQUEST_TIMEOUT_MS =
      Option.longInteger(
          "request-timeout-ms",
          10_000,
          1,
          "a request (line, headers, body) must arrive whole within this of its first byte, else 408 and close");
  public static final Option<Long> IDLE_TIMEOUT_MS =
      Option.longInteger(
          "idle-timeout-ms",
          60_000,
          1,
          "a keep-alive connection with no request for this long is closed");
  public static final Option<Integer> MAX_HEADER_BYTES =
      Option.integer(
          "max-header-bytes", 8 << 10, 1024, "request line and headers larger than this: 431");
  public static final Option<Integer> MAX_BODY_BYTES =
      Option.integer("max-body-bytes", 4 << 20, 1024, "request bodies larger than this: 413");
  public static final Option<Integer> MAX_BATCH_EVENTS =
      Option.integer("max-batch-events", 4096, 1, "events in one batch request beyond this: 413");
  public static final Option<Path> TLS_CERT =
      Option.optionalFile(
          "tls-cert", "PEM certificate chain; with tls-key the server speaks HTTPS only");
  public static final Option<Path> TLS_KEY =
      Option.optionalFile("tls-key", "the certificate's unencrypted PKCS#8 PEM private key");
  public static final Option<Path> AUTH_TOKEN_FILE =
      Option.optionalFile(
          "auth-token-file",
          "a file holding the bearer token every request must carry (GET /health without it: status only)");

  /** Every option above. */
  public static final List<Option<?>> ALL = Option.declaredIn(ServerOptions.class);

  private final OptionValues values;

  private ServerOptions(OptionValues values) {
    if (values.isSet(TLS_CERT) != values.isSet(TLS_KEY)) {
      throw new IllegalArgumentException(
          "invalid tls-cert = "
              + values.get(TLS_CERT)
              + ", tls-key = "
              + values.get(TLS_KEY)
              + "; allowed: both or neither");
    }
    this.values = values;
  }

  public <T> T get(Option<T> option) {
    return values.get(option);
  }

  public boolean tls() {
    return values.isSet(TLS_CERT);
  }

  /** Every option at its default. */
  public static ServerOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options at their defaults until set. */
  public static final class Builder extends OptionsBuilder<Builder> {
    private Builder() {
      super(ALL);
    }

    public ServerOptions build() {
      return new ServerOptions(values.build());
    }
  }
}
