package ai.hiformer.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS with a PEM certificate and key as an operator would give them (made here with the JDK's
 * keytool, for 127.0.0.1): a client that trusts the certificate is answered; plain HTTP on the same
 * port is not.
 */
class TlsServerTest {
  @TempDir Path dir;

  @Test
  void servesHttpsWithAPemCertificateAndRefusesPlainHttp() throws Exception {
    Path snapshots = dir.resolve("snapshots");
    new Snapshots().nextVersion(snapshots);
    Path keystore = dir.resolve("server.p12");
    char[] password = "changeit".toCharArray();
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "san=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                "changeit",
                "-keypass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    String keytoolOutput =
        new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor()).as(keytoolOutput).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (var in = new FileInputStream(keystore.toFile())) {
      ks.load(in, password);
    }
    Certificate cert = ks.getCertificate("server");
    PrivateKey key = (PrivateKey) ks.getKey("server", password);
    Path certPem =
        Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", cert.getEncoded()));
    Path keyPem =
        Files.writeString(dir.resolve("key.pem"), pem("PRIVATE KEY", key.getEncoded())); // PKCS#8

    ServerOptions options =
        ServerOptions.builder()
            .set(ServerOptions.PORT, 0)
            .set(ServerOptions.THREADS, 1)
            .set(ServerOptions.TLS_CERT, certPem)
            .set(ServerOptions.TLS_KEY, keyPem)
            .build();
    try (ScoringServer server = new ScoringServer(new ModelRegistry(snapshots, 1), options, 3600)) {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("server", cert);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient client = HttpClient.newBuilder().sslContext(ssl).build();
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + "/score"))
                  .POST(HttpRequest.BodyPublishers.ofString(ScoringServerTest.scoreBody(3)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("\"scores\"");

      HttpClient plain = HttpClient.newHttpClient();
      assertThatThrownBy(
              () ->
                  plain.send(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + server.port() + "/health"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(java.io.IOException.class);
      HttpClient untrusting = HttpClient.newHttpClient();
      assertThatThrownBy(
              () ->
                  untrusting.send(
                      HttpRequest.newBuilder(
                              URI.create("https://127.0.0.1:" + server.port() + "/health"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
