package ai.hiformer.features;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FieldSpec;

/**
 * How one raw value becomes what the encoder keys or transforms: the parsing rules of the feature
 * spec.
 */
final class FieldValues {
  private FieldValues() {}

  /**
   * The key a categorical value maps to: itself, its bucket, its prefix or suffix, or the field's
   * empty key.
   */
  static String categoricalKey(FieldSpec f, String text) throws BadRowException {
    if (text == null || text.isEmpty()) {
      return f.empty();
    }
    if (!f.buckets().isEmpty()) {
      double v = parseFinite(text, "field '" + f.name() + "'");
      int bucket = 0;
      while (bucket < f.buckets().size() && v >= f.buckets().get(bucket)) {
        bucket++;
      }
      return Integer.toString(bucket);
    }
    if (f.prefix() > 0 && text.length() > f.prefix()) {
      return text.substring(0, f.prefix());
    }
    if (f.suffix() > 0 && text.length() > f.suffix()) {
      return text.substring(text.length() - f.suffix());
    }
    return text;
  }

  /** A time field's key: the hour of day or the day of week (0 = Monday) of a Unix timestamp. */
  static String timeKey(FieldSpec f, Row row) throws BadRowException {
    String text = row.text(f.column());
    if (text == null || text.isEmpty()) {
      return f.empty();
    }
    long ts;
    try {
      ts = Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new BadRowException(
          "field '" + f.name() + "': unparseable timestamp '" + abbreviate(text) + "'");
    }
    long seconds = f.timeUnit().equals("milliseconds") ? Math.floorDiv(ts, 1000) : ts;
    long part =
        f.timePart().equals("hour")
            ? Math.floorMod(Math.floorDiv(seconds, 3600), 24)
            : Math.floorMod(
                Math.floorDiv(seconds, 86400) + 3, 7); // 1970-01-01 was a Thursday; 0 = Monday
    return Long.toString(part);
  }

  /** A finite number, or a {@link BadRowException} saying what was wrong with the text. */
  static double parseFinite(String text, String what) throws BadRowException {
    double v;
    try {
      v = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new BadRowException(what + ": unparseable number '" + abbreviate(text) + "'");
    }
    if (!Double.isFinite(v)) {
      throw new BadRowException(what + ": non-finite value '" + abbreviate(text) + "'");
    }
    return v;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }
}
