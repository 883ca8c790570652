package ai.hiformer.cli;

import java.util.HashSet;
import java.util.Set;

/**
 * A command whose arguments are {@code --key value} options and {@code --flags}: parsing, the
 * unknown-option check and {@code --help} happen here once, so that a command states only its
 * options and what it does.
 */
public abstract class OptionsCommand implements Command {
  private final String name;
  private final String summary;
  private final String usage;
  private final Set<String> valued;
  private final Set<String> flags;

  /**
   * @param usage what {@code hiformer NAME --help} prints
   * @param valued options that take a value
   * @param flags options without a value ({@code --help} is always accepted)
   */
  protected OptionsCommand(
      String name, String summary, String usage, Set<String> valued, Set<String> flags) {
    this.name = name;
    this.summary = summary;
    this.usage = usage;
    this.valued = Set.copyOf(valued);
    Set<String> all = new HashSet<>(flags);
    all.add("help");
    this.flags = Set.copyOf(all);
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String summary() {
    return summary;
  }

  /** Runs with the parsed options. */
  protected abstract int run(Options options) throws Exception;

  @Override
  public final int run(String[] args) throws Exception {
    Options o = new Options(name, args, 1, valued, flags);
    if (o.has("help")) {
      System.out.println(usage);
      return 0;
    }
    return run(o);
  }
}
