package ai.hiformer.features.spec;

import java.util.Arrays;
import java.util.Locale;

/** What a field is and which token it becomes. */
public enum FieldKind {
  /** One categorical value (a string) → one embedding row. */
  CATEGORICAL,
  /** A set of categorical values → the mean of their rows. */
  MULTI,
  /** A real value → t (transformed) plus a missing flag m. */
  NUMERIC,
  /** An epoch timestamp → a categorical part of it (hour of day, day of week). */
  TIME;

  public static FieldKind parse(String s, String field) {
    for (FieldKind k : values()) {
      if (k.name().toLowerCase(Locale.ROOT).equals(s)) {
        return k;
      }
    }
    throw new SpecException(
        "field '"
            + field
            + "': unknown kind '"
            + s
            + "'; allowed: "
            + Arrays.stream(values()).map(v -> v.name().toLowerCase(Locale.ROOT)).toList());
  }

  /** Categorical and time fields both become one single-row token. */
  public boolean isSingleToken() {
    return this == CATEGORICAL || this == TIME;
  }
}
