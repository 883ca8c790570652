package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scoring server as a client (or an attacker) meets it, over real sockets: stalled and slow
 * clients, too many connections, oversized requests, wrong paths and methods, batches, and the
 * bearer token.
 */
class ScoringServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;

  @BeforeEach
  void snapshot() throws Exception {
    new Snapshots().nextVersion(root);
  }

  /**
   * One HTTP/1.1 exchange on an open socket: the answer's status line, headers and body, as text.
   */
  record Answer(int status, String head, String body) {
    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  static Answer exchange(Socket s, String method, String path, String headers, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    String request =
        method
            + " "
            + path
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + headers
            + (b.length > 0 || method.equals("POST") ? "Content-Length: " + b.length + "\r\n" : "")
            + "\r\n";
    s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().write(b);
    s.getOutputStream().flush();
    return read(s.getInputStream());
  }

  static Answer read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("closed by the server after " + head);
      }
      head.write(c);
      matched = (c == "\r\n\r\n".charAt(matched)) ? matched + 1 : (c == '\r' ? 1 : 0);
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return new Answer(
        Integer.parseInt(h.substring(9, 12)),
        h,
        new String(in.readNBytes(length), StandardCharsets.UTF_8));
  }

  static Socket connect(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(60_000); // a hang fails the test instead of stalling the build
    return s;
  }

  static String scoreBody(int event) {
    return "{\"modelId\": \"m\", \"requestId\": \"r"
        + event
        + "\", \"features\": "
        + Snapshots.features(event)
        + "}";
  }

  private ScoringServer start(ServerOptions.Builder options) throws IOException {
    ServerOptions o = options.set(ServerOptions.PORT, 0).build();
    return new ScoringServer(new ModelRegistry(root, o.get(ServerOptions.THREADS)), o, 3600);
  }

  @Test
  void eightStalledConnectionsDoNotKeepAClientFromBeingAnsweredAndEachGets408() throws Exception {
    try (ScoringServer server =
        start(
            ServerOptions.builder()
                .set(ServerOptions.THREADS, 1)
                .set(ServerOptions.REQUEST_TIMEOUT_MS, 2_000))) {
      List<Socket> stalled = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        Socket s = connect(server.port());
        // Half promise a body of 100 bytes and send 10; half stop in the middle of their headers.
        String partial =
            i % 2 == 0
                ? "POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"modelId\""
                : "POST /score HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        s.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        stalled.add(s);
      }
      while (server.openConnections() < 8) {
        Thread.sleep(5);
      }
      try (Socket client = connect(server.port())) {
        for (int i = 0; i < 50; i++) {
          Answer a = exchange(client, "POST", "/score", "", scoreBody(i));
          assertThat(a.status()).as(a.body()).isEqualTo(200);
          assertThat(a.json().get("scores").get("click").asDouble()).isBetween(0.0, 1.0);
        }
      }
      for (Socket s : stalled) {
        Answer a = read(s.getInputStream());
        assertThat(a.status()).isEqualTo(408);
        assertThat(s.getInputStream().read())
            .as("the connection is closed after the 408")
            .isEqualTo(-1);
        s.close();
      }
      try (Socket s = connect(server.port())) {
        assertThat(exchange(s, "GET", "/metrics", "", "").body())
            .contains("hiformer_request_timeouts_total 8");
      }
    }
  }

  @Test
  void connectionsBeyondTheLimitAreClosedAndCountedWhileTheOthersAreServed() throws Exception {
    try (ScoringServer server =
        start(
            ServerOptions.builder()
                .set(ServerOptions.THREADS, 1)
                .set(ServerOptions.MAX_CONNECTIONS, 3))) {
      List<Socket> open = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        open.add(connect(server.port()));
      }
      while (server.openConnections() < 3) {
        Thread.sleep(5);
      }
      try (Socket extra = connect(server.port())) {
        assertThat(extra.getInputStream().read()).as("closed at once").isEqualTo(-1);
      }
      assertThat(exchange(open.get(0), "POST", "/score", "", scoreBody(1)).status()).isEqualTo(200);
      open.remove(2).close();
      while (server.openConnections() > 2) {
        Thread.sleep(5);
      }
      try (Socket again = connect(server.port())) {
        assertThat(exchange(again, "GET", "/metrics", "", "").body())
            .contains("hiformer_connections_rejected_total 1");
      }
      for (Socket s : open) {
        s.close();
      }
    }
  }

  @Test
  void pathsMatchExactlyMethodsAreCheckedAndLimitsAnswerWithoutStackText() throws Exception {
    try (ScoringServer server =
            start(
                ServerOptions.builder()
                    .set(ServerOptions.THREADS, 1)
                    .set(ServerOptions.MAX_HEADER_BYTES, 1024)
                    .set(ServerOptions.MAX_BODY_BYTES, 2048)
                    .set(ServerOptions.MAX_BATCH_EVENTS, 2));
        Socket s = connect(server.port())) {
      assertThat(exchange(s, "POST", "/score?trace=1", "", scoreBody(1)).status()).isEqualTo(200);
      assertThat(exchange(s, "POST", "/score/", "", scoreBody(1)).status()).isEqualTo(404);
      assertThat(exchange(s, "POST", "/scores", "", scoreBody(1)).status()).isEqualTo(404);
      assertThat(exchange(s, "GET", "/score", "", "").status()).isEqualTo(405);
      assertThat(exchange(s, "POST", "/health", "", "{}").status()).isEqualTo(405);
      List<Answer> clientErrors = new ArrayList<>();
      clientErrors.add(exchange(s, "POST", "/score", "", "{\"modelId\": "));
      clientErrors.add(exchange(s, "POST", "/score", "", "[1, 2]"));
      clientErrors.add(
          exchange(s, "POST", "/score", "", "{\"modelId\": \"nope\", \"features\": {}}"));
      clientErrors.add(
          exchange(
              s, "POST", "/score", "", "{\"modelId\": \"m\", \"features\": {\"price\": \"NaN\"}}"));
      clientErrors.add(
          exchange(
              s,
              "POST",
              "/score",
              "",
              "{\"modelId\": \"m\", \"events\": [{\"features\": {}}, "
                  + "{\"features\": {}}, {\"features\": {}}]}"));
      assertThat(clientErrors).extracting(Answer::status).containsExactly(400, 400, 404, 400, 413);
      for (Answer a : clientErrors) {
        assertThat(a.json().get("error").asText())
            .isNotBlank()
            .doesNotContain("Exception")
            .doesNotContain("\tat ");
      }
      assertThat(clientErrors.get(3).json().get("error").asText()).contains("price");
      // A body over the limit and headers over the limit end the connection after their answer.
      assertThat(
              exchange(s, "POST", "/score", "", "{\"x\": \"" + "a".repeat(4000) + "\"}").status())
          .isEqualTo(413);
    }
    try (ScoringServer server =
            start(
                ServerOptions.builder()
                    .set(ServerOptions.THREADS, 1)
                    .set(ServerOptions.MAX_HEADER_BYTES, 1024));
        Socket s = connect(server.port())) {
      assertThat(exchange(s, "GET", "/health", "X-Big: " + "b".repeat(3000) + "\r\n", "").status())
          .isEqualTo(431);
    }
  }

  @Test
  void aBatchIsScoredInRequestOrderFromOneVersionWithABadEventAnsweredOnItsOwn() throws Exception {
    try (ScoringServer server = start(ServerOptions.builder().set(ServerOptions.THREADS, 1));
        Socket s = connect(server.port())) {
      int n = Scorer.CHUNK + 44; // more than one forward pass
      StringBuilder body = new StringBuilder("{\"modelId\": \"m\", \"events\": [");
      for (int i = 0; i < n; i++) {
        String features = i == 7 ? "{\"user\": \"u1\", \"price\": \"abc\"}" : Snapshots.features(i);
        body.append(i == 0 ? "" : ",")
            .append("{\"requestId\": \"r")
            .append(i)
            .append("\", \"features\": ")
            .append(features)
            .append('}');
      }
      Answer a = exchange(s, "POST", "/score", "", body.append("]}").toString());
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      JsonNode results = a.json().get("results");
      assertThat(results).hasSize(n);
      long version = a.json().get("modelVersion").asLong();
      for (int i = 0; i < n; i++) {
        JsonNode r = results.get(i);
        assertThat(r.get("requestId").asText()).isEqualTo("r" + i);
        if (i == 7) {
          assertThat(r.get("error").asText()).contains("price").contains("abc");
          assertThat(r.has("scores")).isFalse();
          continue;
        }
        Answer single = exchange(s, "POST", "/score", "", scoreBody(i));
        assertThat(single.json().get("modelVersion").asLong()).isEqualTo(version);
        // The batch runs the float matrix chain, a single event the single-row kernel: equal to
        // float rounding.
        assertThat(r.get("scores").get("click").asDouble())
            .as("event %d", i)
            .isCloseTo(
                single.json().get("scores").get("click").asDouble(),
                org.assertj.core.data.Offset.offset(1e-6));
      }
    }
  }

  @Test
  void withATokenEveryRequestNeedsItAndHealthTellsStrangersOnlyItsStatus() throws Exception {
    Path token = Files.writeString(root.resolve("token"), "s3cret-token-0123456789\n");
    try (ScoringServer server =
            start(
                ServerOptions.builder()
                    .set(ServerOptions.THREADS, 1)
                    .set(ServerOptions.AUTH_TOKEN_FILE, token));
        Socket s = connect(server.port())) {
      assertThat(exchange(s, "POST", "/score", "", scoreBody(1)).status()).isEqualTo(401);
      assertThat(
              exchange(
                      s,
                      "POST",
                      "/score",
                      "Authorization: Bearer s3cret-token-0123456780\r\n",
                      scoreBody(1))
                  .status())
          .isEqualTo(401);
      assertThat(
              exchange(s, "POST", "/score", "Authorization: Basic czNjcmV0\r\n", scoreBody(1))
                  .status())
          .isEqualTo(401);
      assertThat(exchange(s, "GET", "/metrics", "", "").status()).isEqualTo(401);
      Answer health = exchange(s, "GET", "/health", "", "");
      assertThat(health.status()).isEqualTo(200);
      assertThat(health.json().fieldNames()).toIterable().containsExactly("status");
      String auth = "Authorization: Bearer s3cret-token-0123456789\r\n";
      assertThat(exchange(s, "POST", "/score", auth, scoreBody(1)).status()).isEqualTo(200);
      assertThat(exchange(s, "GET", "/health", auth, "").json().has("models")).isTrue();
      assertThat(exchange(s, "GET", "/metrics", auth, "").body())
          .contains("hiformer_unauthorized_total 4");
    }
  }

  @Test
  void aShortTokenOrHalfATlsPairFailsAtStartUpNamingTheOption() throws Exception {
    Path shortToken = Files.writeString(root.resolve("short"), "abc");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> start(ServerOptions.builder().set(ServerOptions.AUTH_TOKEN_FILE, shortToken)))
        .hasMessageContaining("auth-token-file")
        .hasMessageContaining("at least 16 characters");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                ServerOptions.builder()
                    .set(ServerOptions.TLS_CERT, shortToken)
                    .set(ServerOptions.TLS_KEY, null)
                    .build())
        .hasMessageContaining("tls-cert")
        .hasMessageContaining("tls-key");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ServerOptions.builder().set(ServerOptions.THREADS, 0).build())
        .hasMessageContaining("invalid threads = '0'");
  }
}
