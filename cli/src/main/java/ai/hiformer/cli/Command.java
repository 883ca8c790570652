package ai.hiformer.cli;

/**
 * One {@code hiformer} subcommand. Adding a command is one class implementing this (usually through
 * {@link OptionsCommand}) and one entry in {@link Main#COMMANDS}; {@code hiformer --help} lists it
 * from there.
 */
public interface Command {
  /** The word after {@code hiformer}. */
  String name();

  /** One line for {@code hiformer --help}. */
  String summary();

  /**
   * Runs the command.
   *
   * @param args every argument, {@code args[0]} being the command's name
   * @return the process exit code (0 success, 2 usage error)
   * @throws Options.UsageException for a bad argument (printed as {@code error: ...}, exit 2)
   */
  int run(String[] args) throws Exception;
}
