package ai.hiformer.cli;

import ai.hiformer.features.spec.SpecException;
import java.util.List;

/** The {@code hiformer} command line: one subcommand per job. */
public final class Main {
  /**
   * Every command, in the order {@code hiformer --help} lists them: a new command is one more
   * entry.
   */
  static final List<Command> COMMANDS =
      List.of(
          new RunCommand(),
          new ServeCommand(),
          new ExportCommand(),
          new EvaluateCommand(),
          new ClusterCommand(),
          new ReplayCommand(),
          new WatchCommand(),
          new RollbackCommand(),
          new SchemasCommand(),
          new StreamBenchmarkCommand(),
          new ServeBenchmarkCommand());

  static String usage() {
    StringBuilder sb = new StringBuilder("Usage: hiformer <command> [options]\n");
    for (Command c : COMMANDS) {
      sb.append(String.format("  %-18s %s%n", c.name(), c.summary()));
    }
    return sb.append("Run 'hiformer <command> --help' for a command's options.\n").toString();
  }

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("help")) {
      System.out.print(usage());
      return args.length == 0 ? 2 : 0;
    }
    try {
      for (Command c : COMMANDS) {
        if (c.name().equals(args[0])) {
          return c.run(args);
        }
      }
      System.err.println(
          "unknown command '"
              + args[0]
              + "'; allowed: "
              + String.join(", ", COMMANDS.stream().map(Command::name).toList()));
      return 2;
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
