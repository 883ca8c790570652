package ai.hiformer.model.config;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * One configuration key, declared once: its name, its type (how its text is read and written), its
 * default, the values it allows and what it means. The properties-file loader, the list of known
 * keys, the validation messages and the typed getters all work from these declarations ({@link
 * OptionValues}), so adding an option is adding one declaration: a {@code public static final
 * Option} field of the class that owns it.
 *
 * @param <T> the value's type
 */
public final class Option<T> {
  private final String key;
  private final T defaultValue; // null: no default (required, or optional when `optional`)
  private final boolean optional;
  private final Function<String, T> parse;
  private final Function<T, String> format;
  private final Predicate<T> allowedValue;
  private final String allowed;
  private final String description;
  private boolean readsFile;

  private Option(
      String key,
      T defaultValue,
      boolean optional,
      Function<String, T> parse,
      Function<T, String> format,
      Predicate<T> allowedValue,
      String allowed,
      String description) {
    this.key = Objects.requireNonNull(key);
    this.defaultValue = defaultValue;
    this.optional = optional;
    this.parse = parse;
    this.format = format;
    this.allowedValue = allowedValue;
    this.allowed = allowed;
    this.description = description;
  }

  /** A non-blank string; {@code defaultValue} null makes it required. */
  public static Option<String> string(String key, String defaultValue, String description) {
    return new Option<>(
        key,
        defaultValue,
        false,
        s -> s,
        s -> s,
        s -> !s.isBlank(),
        "a non-empty string",
        description);
  }

  /** A non-blank string that may be left unset (then {@link OptionValues#get} gives null). */
  public static Option<String> optionalString(String key, String description) {
    return new Option<>(
        key, null, true, s -> s, s -> s, s -> !s.isBlank(), "a non-empty string", description);
  }

  public static Option<Integer> integer(String key, int defaultValue, int min, String description) {
    return new Option<>(
        key,
        defaultValue,
        false,
        Integer::valueOf,
        String::valueOf,
        v -> v >= min,
        "an integer >= " + min,
        description);
  }

  public static Option<Integer> integer(
      String key, int defaultValue, int min, int max, String description) {
    return new Option<>(
        key,
        defaultValue,
        false,
        Integer::valueOf,
        String::valueOf,
        v -> v >= min && v <= max,
        "an integer in " + min + ".." + max,
        description);
  }

  /** The path of a readable regular file, or unset (then {@link OptionValues#get} gives null). */
  public static Option<java.nio.file.Path> optionalFile(String key, String description) {
    return new Option<>(
        key,
        null,
        true,
        java.nio.file.Paths::get,
        java.nio.file.Path::toString,
        java.nio.file.Files::isReadable,
        "the path of a readable file",
        description);
  }

  public static Option<Long> longInteger(
      String key, long defaultValue, long min, String description) {
    return new Option<>(
        key,
        defaultValue,
        false,
        Long::valueOf,
        String::valueOf,
        v -> v >= min,
        "an integer >= " + min,
        description);
  }

  /** A finite number greater than 0. */
  public static Option<Double> positive(String key, double defaultValue, String description) {
    return new Option<>(
        key,
        defaultValue,
        false,
        Double::valueOf,
        String::valueOf,
        v -> v > 0 && Double.isFinite(v),
        "a number > 0",
        description);
  }

  public static Option<Boolean> bool(String key, boolean defaultValue, String description) {
    return new Option<>(
        key,
        defaultValue,
        false,
        s -> {
          if (!s.equals("true") && !s.equals("false")) {
            throw new IllegalArgumentException();
          }
          return Boolean.valueOf(s);
        },
        String::valueOf,
        v -> true,
        "true, false",
        description);
  }

  /** One of {@code values}, written as itself ({@code defaultValue} among them). */
  public static Option<String> oneOf(
      String key, String defaultValue, String description, String... values) {
    List<String> allowed = List.of(values);
    if (!allowed.contains(defaultValue)) {
      throw new IllegalArgumentException(
          key + ": default '" + defaultValue + "' is not among " + allowed);
    }
    return new Option<>(
        key,
        defaultValue,
        false,
        s -> s,
        s -> s,
        allowed::contains,
        String.join(", ", allowed),
        description);
  }

  /** A non-empty set of non-blank names, written comma-separated; required. */
  public static Option<Set<String>> names(String key, String description) {
    return new Option<Set<String>>(
        key,
        null,
        false,
        s ->
            Arrays.stream(s.split(","))
                .map(String::trim)
                .filter(x -> !x.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new)),
        v -> String.join(",", new TreeSet<>(v)),
        v -> !v.isEmpty(),
        "a non-empty comma-separated list",
        description);
  }

  /**
   * A value of a type of the caller's own: {@code parse} throws (any RuntimeException) on a bad
   * text.
   */
  public static <T> Option<T> of(
      String key,
      T defaultValue,
      Function<String, T> parse,
      Function<T, String> format,
      String allowed,
      String description) {
    return new Option<>(key, defaultValue, false, parse, format, v -> true, allowed, description);
  }

  /**
   * A value that is the contents of a file: a properties file or command line gives the file's
   * path, which the loader reads ({@link #readsFile()}); code sets the contents. {@code check}
   * throws on bad contents.
   */
  public static Option<String> fileContents(
      String key, java.util.function.Consumer<String> check, String allowed, String description) {
    Option<String> o =
        new Option<>(
            key,
            null,
            false,
            s -> {
              check.accept(s);
              return s;
            },
            s -> s,
            s -> true,
            allowed,
            description);
    o.readsFile = true;
    return o;
  }

  /** Whether a configuration file gives this option's value as the path of a file holding it. */
  public boolean readsFile() {
    return readsFile;
  }

  public String key() {
    return key;
  }

  public String description() {
    return description;
  }

  /** What values are allowed, as the error messages say it. */
  public String allowed() {
    return allowed;
  }

  /** The value when the key is not set: null when it has none. */
  public T defaultValue() {
    return defaultValue;
  }

  /** Whether a configuration must set this key (it has no default and may not be left unset). */
  public boolean required() {
    return defaultValue == null && !optional;
  }

  /**
   * Reads and checks a value's text.
   *
   * @throws IllegalArgumentException naming the key, the text and the allowed values
   */
  public T parse(String text) {
    T v;
    try {
      v = parse.apply(readsFile ? text : text.trim());
    } catch (RuntimeException e) {
      IllegalArgumentException bad = invalid(text);
      if (e.getMessage() != null
          && !(e instanceof NumberFormatException)) { // why, when the reader said it
        bad = new IllegalArgumentException(bad.getMessage() + " (" + e.getMessage() + ")", e);
      }
      throw bad;
    }
    if (v == null || !allowedValue.test(v)) {
      throw invalid(text);
    }
    return v;
  }

  /** The text of a value, as {@link #parse} reads it; checks the value first. */
  public String format(T value) {
    if (value == null || !allowedValue.test(value)) {
      throw invalid(String.valueOf(value));
    }
    return format.apply(value);
  }

  private IllegalArgumentException invalid(String text) {
    String shown = text.length() <= 80 ? text : text.substring(0, 80) + "…";
    return new IllegalArgumentException(
        "invalid " + key + " = '" + shown + "'; allowed: " + allowed);
  }

  /**
   * Every {@code public static final Option} field declared by {@code owner}, in declaration order.
   */
  public static List<Option<?>> declaredIn(Class<?> owner) {
    List<Option<?>> out = new ArrayList<>();
    for (Field f : owner.getDeclaredFields()) {
      int m = f.getModifiers();
      if (f.getType() == Option.class
          && Modifier.isStatic(m)
          && Modifier.isFinal(m)
          && Modifier.isPublic(m)) {
        try {
          out.add((Option<?>) f.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return List.copyOf(out);
  }

  @Override
  public String toString() {
    return key;
  }
}
