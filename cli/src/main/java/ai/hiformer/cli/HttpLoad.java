package ai.hiformer.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * A minimal closed-loop HTTP/1.1 load generator for {@code benchmark-serve}: each client thread
 * keeps one keep-alive connection and sends its requests one after another, timing each from the
 * first byte written to the last byte of the answer read. It is deliberately thin (a plain socket,
 * no client library) so that on a small machine shared with the server the load generator costs
 * little of what is measured.
 */
final class HttpLoad {
  /** Latencies of every request (nanoseconds) and the wall time of the whole load. */
  record Result(long[] latencies, double seconds) {
    double perSecond(int unitsPerRequest) {
      return latencies.length * (double) unitsPerRequest / seconds;
    }

    double percentileMillis(double q) {
      long[] sorted = latencies.clone();
      Arrays.sort(sorted);
      return sorted[Math.min(sorted.length - 1, (int) (sorted.length * q))] / 1e6;
    }
  }

  private HttpLoad() {}

  /**
   * Runs {@code clients} threads, each sending {@code perClient} POSTs to {@code path}; {@code
   * bodies} gives the body of request i of client c as {@code bodies.apply(c * perClient + i)}. Any
   * answer other than 200 fails.
   */
  static Result run(int port, String path, int clients, int perClient, IntFunction<byte[]> bodies)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<long[]>> futures = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int c = 0; c < clients; c++) {
        int client = c;
        futures.add(
            pool.submit(
                () -> {
                  long[] lat = new long[perClient];
                  try (Socket socket = new Socket("127.0.0.1", port)) {
                    socket.setTcpNoDelay(true);
                    OutputStream out = socket.getOutputStream();
                    InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
                    for (int i = 0; i < perClient; i++) {
                      byte[] body = bodies.apply(client * perClient + i);
                      byte[] head =
                          ("POST "
                                  + path
                                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                  + "Content-Length: "
                                  + body.length
                                  + "\r\n\r\n")
                              .getBytes(StandardCharsets.US_ASCII);
                      byte[] request =
                          Arrays.copyOf(
                              head, head.length + body.length); // one write: one TCP segment
                      System.arraycopy(body, 0, request, head.length, body.length);
                      long t = System.nanoTime();
                      out.write(request);
                      out.flush();
                      readAnswer(in);
                      lat[i] = System.nanoTime() - t;
                    }
                  }
                  return lat;
                }));
      }
      List<long[]> all = new ArrayList<>();
      for (Future<long[]> f : futures) {
        all.add(f.get());
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new Result(all.stream().flatMapToLong(Arrays::stream).toArray(), seconds);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Reads one answer (status line, headers, Content-Length body); fails unless the status is 200.
   */
  private static void readAnswer(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int status = -1;
    int length = -1;
    while (true) {
      line.setLength(0);
      int b;
      while ((b = in.read()) != '\n') {
        if (b < 0) {
          throw new IOException("connection closed by the server");
        }
        if (b != '\r') {
          line.append((char) b);
        }
      }
      if (line.length() == 0) {
        break;
      }
      String l = line.toString();
      if (status < 0) {
        status = Integer.parseInt(l.substring(9, 12));
      } else if (l.regionMatches(true, 0, "content-length:", 0, 15)) {
        length = Integer.parseInt(l.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(Math.max(0, length));
    if (status != 200) {
      throw new IOException("status " + status + ": " + new String(body, StandardCharsets.UTF_8));
    }
  }
}
