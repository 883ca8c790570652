package ai.hiformer.cli;

import java.util.HashSet;
import java.util.Set;

/**
 * A command whose arguments are {@code --key value} options and {@code --flags}: parsing, the unknown-option
 * check and {@code --help} happen here once, so that a command states only its options and what it does.
 */
public abstract class OptionsCommand implements Command {
  /** The text {@code hiformer NAME --help} prints. */
  protected abstract String usage();

  /** Options that take a value. */
  protected abstract Set<String> valued();

  /** Options without a value ({@code --help} is always accepted). */
  protected Set<String> flags() {
    return Set.of();
  }

  /** Runs with the parsed options. */
  protected abstract int run(Options options) throws Exception;

  @Override
  public final int run(String[] args) throws Exception {
    Set<String> flags = new HashSet<>(flags());
    flags.add("help");
    Options o = new Options(name(), args, 1, valued(), flags);
    if (o.has("help")) {
      System.out.println(usage());
      return 0;
    }
    return run(o);
  }
}
