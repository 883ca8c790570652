package ai.hiformer.serving;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The same {@link ScoringApi} on the JDK's built-in HTTP server, kept only as the baseline that
 * {@code hiformer benchmark-serve} measures {@link ScoringServer} against. Not for production: it
 * has no read timeout, no connection limit and no TLS, and a thread pool that a few stalled clients
 * can occupy.
 */
public final class JdkScoringServer implements AutoCloseable {
  static {
    // The JDK server writes headers and body separately; without TCP_NODELAY, Nagle's algorithm and
    // the client's delayed ACK add ~40 ms to every response. Read once when the server classes
    // load.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final ScoringApi api;
  private final int maxBodyBytes;
  private final HttpServer http;
  private final ExecutorService executor;

  public JdkScoringServer(ModelRegistry registry, ServerOptions options) throws IOException {
    this.api = new ScoringApi(registry, options);
    this.maxBodyBytes = options.get(ServerOptions.MAX_BODY_BYTES);
    registry.refresh();
    http =
        HttpServer.create(
            new InetSocketAddress(options.get(ServerOptions.BIND), options.get(ServerOptions.PORT)),
            128);
    executor = Executors.newFixedThreadPool(options.get(ServerOptions.THREADS));
    http.setExecutor(executor);
    http.createContext("/", this::handle);
    http.start();
  }

  public int port() {
    return http.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    ScoringApi.Reply reply;
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readNBytes(maxBodyBytes + 1);
    }
    if (body.length > maxBodyBytes) {
      reply = api.refused(413, "request larger than " + maxBodyBytes + " bytes");
    } else {
      reply =
          api.handle(
              ex.getRequestMethod(),
              ex.getRequestURI().getPath(),
              ex.getRequestHeaders().getFirst("Authorization"),
              body);
    }
    ex.getResponseHeaders().set("Content-Type", reply.contentType());
    ex.sendResponseHeaders(reply.status(), reply.body().length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(reply.body());
    }
  }

  @Override
  public void close() {
    http.stop(0);
    executor.shutdownNow();
  }
}
