package ai.hiformer.cli;

import ai.hiformer.features.spec.SpecException;

/** The {@code hiformer} command line: one subcommand per job. */
public final class Main {
  private static final String USAGE = """
      Usage: hiformer <command> [options]
        run        the embedded default: in-process Kafka + Flink MiniCluster, replaying a dataset
        serve      score over HTTP with the newest snapshots (--snapshots DIR), reloading new ones
        export     serving snapshots from a savepoint of the job (--savepoint PATH --out DIR)
        evaluate   run the evaluation protocol (online progressive validation / offline split)
        cluster    a real standalone Flink cluster + Kafka broker as processes here: start, submit, stop, ...
        replay     replay a dataset (or a generated stream) into any Kafka cluster's events topic
        watch      follow the scores topic: counts, duplicates, model versions
        benchmark-stream   end-to-end events/s and latency through Kafka -> Flink -> Kafka
        benchmark-serve    scoring-server latency and requests/s on loopback; 1M-row snapshot load time
      Run 'hiformer <command> --help' for a command's options.
      """;

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
      System.out.print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    try {
      return switch (args[0]) {
        case "evaluate" -> EvaluateCommand.run(args);
        case "run" -> RunCommand.run(args);
        case "serve" -> ServeCommand.run(args);
        case "export" -> ExportCommand.run(args);
        case "cluster" -> ClusterCommand.run(args);
        case "replay" -> ReplayCommand.run(args);
        case "watch" -> WatchCommand.run(args);
        case "benchmark-stream" -> StreamBenchmarkCommand.run(args);
        case "benchmark-serve" -> ServeBenchmarkCommand.run(args);
        default -> {
          System.err.println("unknown command '" + args[0] + "'; allowed: run, serve, export, evaluate, cluster, replay, watch, benchmark-stream, benchmark-serve");
          yield 2;
        }
      };
    } catch (Options.UsageException | SpecException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      System.err.println("error: " + e);
      e.printStackTrace();
      return 1;
    }
  }
}
