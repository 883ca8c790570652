package ai.hiformer.serving;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How the scoring server listens and what it tolerates; immutable and validated on construction (a bad value
 * fails at start-up naming the option and the allowed values).
 *
 * @param bindAddress          interface to listen on (127.0.0.1: this host only)
 * @param port                 TCP port (0: any free port)
 * @param threads              I/O threads; each reads, scores and answers its connections' requests, so this
 *                             is also the number of scorers each model keeps
 * @param maxConnections       open connections beyond this are closed at once (counted in /metrics)
 * @param requestTimeoutMillis a request's headers and body must arrive within this many milliseconds of its
 *                             first byte, else 408 and the connection is closed (a slow or stalled client)
 * @param idleTimeoutMillis    a keep-alive connection with no request for this long is closed
 * @param maxHeaderBytes       request line and headers larger than this: 431
 * @param maxBodyBytes         bodies larger than this: 413
 * @param maxBatchEvents       events in one batch request beyond this: 413
 * @param tlsCertificate       PEM certificate chain; with {@code tlsKey} the server speaks HTTPS only
 * @param tlsKey               PEM PKCS#8 private key (unencrypted) of the certificate
 * @param authTokenFile        a file holding the bearer token every request must carry (see {@link ScoringApi})
 */
public record ServerOptions(String bindAddress, int port, int threads, int maxConnections, long requestTimeoutMillis,
    long idleTimeoutMillis, int maxHeaderBytes, int maxBodyBytes, int maxBatchEvents, Optional<Path> tlsCertificate,
    Optional<Path> tlsKey, Optional<Path> authTokenFile) {

  public ServerOptions {
    require(bindAddress != null && !bindAddress.isBlank(), "bind", bindAddress, "an interface address");
    require(port >= 0 && port <= 65535, "port", port, "0..65535");
    require(threads >= 1 && threads <= 1024, "threads", threads, "1..1024");
    require(maxConnections >= 1, "max-connections", maxConnections, ">= 1");
    require(requestTimeoutMillis >= 1, "request-timeout-ms", requestTimeoutMillis, ">= 1");
    require(idleTimeoutMillis >= 1, "idle-timeout-ms", idleTimeoutMillis, ">= 1");
    require(maxHeaderBytes >= 1024, "max-header-bytes", maxHeaderBytes, ">= 1024");
    require(maxBodyBytes >= 1024, "max-body-bytes", maxBodyBytes, ">= 1024");
    require(maxBatchEvents >= 1, "max-batch-events", maxBatchEvents, ">= 1");
    require(tlsCertificate.isPresent() == tlsKey.isPresent(), "tls-cert", tlsCertificate.orElse(null),
        "given together with tls-key (both or neither)");
    tlsCertificate.ifPresent(p -> require(Files.isReadable(p), "tls-cert", p, "a readable PEM file"));
    tlsKey.ifPresent(p -> require(Files.isReadable(p), "tls-key", p, "a readable PEM PKCS#8 key file"));
    authTokenFile.ifPresent(p -> require(Files.isReadable(p), "auth-token-file", p, "a readable file"));
  }

  /** Loopback on {@code port}, 4 threads, every limit at its default, no TLS, no token. */
  public static ServerOptions defaults(int port) {
    return builder().port(port).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public boolean tls() {
    return tlsCertificate.isPresent();
  }

  private static void require(boolean ok, String key, Object value, String allowed) {
    if (!ok) {
      throw new IllegalArgumentException("invalid " + key + " = " + value + "; allowed: " + allowed);
    }
  }

  /** Defaults: 127.0.0.1:8080, 4 threads (the CLI: one per core), 1,024 connections, 10 s per request, 60 s idle, 8 KiB headers,
   * 4 MiB bodies, 4,096 events per batch. */
  public static final class Builder {
    private String bindAddress = "127.0.0.1";
    private int port = 8080;
    private int threads = 4;
    private int maxConnections = 1024;
    private long requestTimeoutMillis = 10_000;
    private long idleTimeoutMillis = 60_000;
    private int maxHeaderBytes = 8 << 10;
    private int maxBodyBytes = 4 << 20;
    private int maxBatchEvents = 4096;
    private Path tlsCertificate;
    private Path tlsKey;
    private Path authTokenFile;

    public Builder bindAddress(String v) {
      bindAddress = v;
      return this;
    }

    public Builder port(int v) {
      port = v;
      return this;
    }

    public Builder threads(int v) {
      threads = v;
      return this;
    }

    public Builder maxConnections(int v) {
      maxConnections = v;
      return this;
    }

    public Builder requestTimeoutMillis(long v) {
      requestTimeoutMillis = v;
      return this;
    }

    public Builder idleTimeoutMillis(long v) {
      idleTimeoutMillis = v;
      return this;
    }

    public Builder maxHeaderBytes(int v) {
      maxHeaderBytes = v;
      return this;
    }

    public Builder maxBodyBytes(int v) {
      maxBodyBytes = v;
      return this;
    }

    public Builder maxBatchEvents(int v) {
      maxBatchEvents = v;
      return this;
    }

    public Builder tls(Path certificate, Path key) {
      tlsCertificate = certificate;
      tlsKey = key;
      return this;
    }

    public Builder authTokenFile(Path v) {
      authTokenFile = v;
      return this;
    }

    public ServerOptions build() {
      return new ServerOptions(bindAddress, port, threads, maxConnections, requestTimeoutMillis, idleTimeoutMillis,
          maxHeaderBytes, maxBodyBytes, maxBatchEvents, Optional.ofNullable(tlsCertificate),
          Optional.ofNullable(tlsKey), Optional.ofNullable(authTokenFile));
    }
  }
}
