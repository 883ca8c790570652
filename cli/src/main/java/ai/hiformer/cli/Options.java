package ai.hiformer.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Parsed {@code --key value} and {@code --flag} options of one command. Unknown keys fail at once,
 * naming the key and the allowed ones; every value is checked when read.
 */
public final class Options {
  private final String command;
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, List<String>> repeated = new LinkedHashMap<>();

  public Options(String command, String[] args, int from, Set<String> valued, Set<String> flags) {
    this.command = command;
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new UsageException(
            command + ": unexpected argument '" + a + "'; options start with --");
      }
      String key = a.substring(2);
      String value = null;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      }
      if (flags.contains(key)) {
        values.put(key, value == null ? "true" : value);
      } else if (valued.contains(key)) {
        if (value == null) {
          if (i + 1 >= args.length) {
            throw new UsageException(command + ": option --" + key + " needs a value");
          }
          value = args[++i];
        }
        values.put(key, value);
        repeated.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
      } else {
        Set<String> all = new TreeSet<>(valued);
        all.addAll(flags);
        throw new UsageException(
            command
                + ": unknown option --"
                + key
                + "; allowed: "
                + all.stream().map(k -> "--" + k).toList());
      }
    }
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  /**
   * Every value given for {@code key}, in order (an option given more than once); empty if none.
   */
  public List<String> all(String key) {
    return List.copyOf(repeated.getOrDefault(key, List.of()));
  }

  public String get(String key, String dflt) {
    return values.getOrDefault(key, dflt);
  }

  public String required(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new UsageException(command + ": option --" + key + " is required");
    }
    return v;
  }

  public int integer(String key, int dflt, int min) {
    String v = values.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      int x = Integer.parseInt(v);
      if (x < min) {
        throw new NumberFormatException();
      }
      return x;
    } catch (NumberFormatException e) {
      throw new UsageException(
          command + ": invalid --" + key + " = '" + v + "'; allowed: an integer >= " + min);
    }
  }

  public double number(String key, double dflt) {
    String v = values.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      double x = Double.parseDouble(v);
      if (!Double.isFinite(x) || x <= 0) {
        throw new NumberFormatException();
      }
      return x;
    } catch (NumberFormatException e) {
      throw new UsageException(
          command + ": invalid --" + key + " = '" + v + "'; allowed: a finite number > 0");
    }
  }

  public boolean bool(String key, boolean dflt) {
    String v = values.get(key);
    if (v == null) {
      return dflt;
    }
    if (v.equals("true") || v.equals("false")) {
      return Boolean.parseBoolean(v);
    }
    throw new UsageException(
        command + ": invalid --" + key + " = '" + v + "'; allowed: true, false");
  }

  /**
   * {@link #list}, each value one of {@code names}; a usage error naming the key and what is
   * allowed ({@code allowed}) otherwise.
   */
  public List<String> listOf(String key, String dflt, List<String> names, String allowed) {
    List<String> values = list(key, dflt);
    for (String v : values) {
      if (!names.contains(v)) {
        throw new UsageException(
            command + ": invalid --" + key + " '" + v + "'; allowed: " + allowed);
      }
    }
    return values;
  }

  /** {@link #list} as integers >= 1; a usage error naming the key otherwise. */
  public List<Integer> positiveIntegers(String key, String dflt) {
    List<Integer> values = new ArrayList<>();
    for (String s : list(key, dflt)) {
      int v;
      try {
        v = Integer.parseInt(s);
      } catch (NumberFormatException e) {
        v = 0;
      }
      if (v < 1) {
        throw new UsageException(
            command
                + ": invalid --"
                + key
                + " entry '"
                + s
                + "'; allowed: integers >= 1, comma-separated");
      }
      values.add(v);
    }
    return values;
  }

  public List<String> list(String key, String dflt) {
    List<String> out = new ArrayList<>();
    for (String s : get(key, dflt).split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    if (out.isEmpty()) {
      throw new UsageException(command + ": --" + key + " needs at least one value");
    }
    return out;
  }

  /** A command-line mistake: printed without a stack trace, exit code 2. */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }
}
