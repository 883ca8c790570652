package ai.hiformer.local.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Supervision of a local cluster's processes: each role (kafka, jobmanager, taskmanager-N) is a
 * java child process whose pid is kept in {@code home/pids/ROLE.pid} and whose command line carries
 * {@code -Dhiformer.cluster=<home>#<role>}, so that another JVM (a later {@code hiformer cluster
 * stop}) finds it and a reused pid is never signalled. Output goes to {@code logs/ROLE.log}.
 */
final class Processes {
  private final Path home;
  private final Path logs;

  Processes(Path home, Path logs) {
    this.home = home;
    this.logs = logs;
  }

  private String marker(String role) {
    return "-Dhiformer.cluster=" + home + "#" + role;
  }

  /**
   * Starts {@code role} as a java process with {@code args}, its output appended to its log, and
   * records its pid.
   */
  void spawn(String role, List<String> args) throws IOException {
    List<String> all = new ArrayList<>();
    all.add(marker(role));
    all.addAll(args);
    Path log = logs.resolve(role + ".log");
    Process p =
        new ProcessBuilder(javaCommand(all))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .directory(home.toFile())
            .start();
    Files.writeString(pidFile(role), Long.toString(p.pid()));
  }

  /**
   * The running process of {@code role}, if its pid file names a live process that carries this
   * cluster's marker.
   */
  Optional<ProcessHandle> find(String role) {
    Path f = pidFile(role);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    try {
      long pid = Long.parseLong(Files.readString(f).trim());
      String marker = marker(role);
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .filter(
              h -> h.info().arguments().map(a -> Arrays.asList(a).contains(marker)).orElse(false));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private Path pidFile(String role) {
    return home.resolve("pids").resolve(role + ".pid");
  }

  void deletePid(String role) {
    try {
      Files.deleteIfExists(pidFile(role));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void terminate(ProcessHandle p, Duration grace) throws InterruptedException {
    p.destroy();
    try {
      p.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      p.destroyForcibly();
      p.onExit().join();
    }
  }

  static List<String> javaCommand(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(args);
    return cmd;
  }

  /** Waits until {@code role} listens on {@code port}; fails at once if it exited. */
  void awaitPort(int port, Duration timeout, String role) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (find(role).isEmpty()) {
        throw new IOException(role + " exited during start-up; see " + logs.resolve(role + ".log"));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("localhost", port), 500);
        return;
      } catch (IOException e) {
        Thread.sleep(250);
      }
    }
    throw new IOException(
        role
            + " did not open port "
            + port
            + " within "
            + timeout.toSeconds()
            + " s; see "
            + logs.resolve(role + ".log"));
  }

  /** A loopback port no process listens on now, for a child process to take. */
  static int freeLoopbackPort() throws IOException {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Fails, naming the setting, when another process already listens on {@code port}. */
  static void requireFree(int port, String setting) {
    try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress("localhost", port));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "port "
              + port
              + " ("
              + setting
              + ") is taken by another process; stop it or choose "
              + "another port, e.g. ./hiformer cluster start --kafka-port 19092 --rest-port 18081 --rpc-port 16123");
    }
  }

  /** The last 30 lines of a process's output, for error messages. */
  static String tail(String s) {
    List<String> lines = s.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }
}
