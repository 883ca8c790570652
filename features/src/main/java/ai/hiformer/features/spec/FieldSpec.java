package ai.hiformer.features.spec;

import java.util.List;

/**
 * One input field of a {@link FeatureSpec}: where its raw value comes from and how it is turned
 * into a token.
 *
 * @param column the source column (defaults to the field name)
 * @param empty the value an empty or absent categorical becomes (an ordinary vocabulary value)
 * @param prefix keep only the first n characters (0 = all)
 * @param suffix keep only the last n characters (0 = all)
 * @param buckets categorical from a number: the bucket boundaries (value &lt; b[0] → bucket 0, …)
 * @param separator multi-valued text split on this string
 * @param maxValues multi-valued: at most this many values are kept (the rest counted as truncated)
 * @param transform numeric: none, log1p (ln(1+x) for x &gt; 0, else 0) or zscore (online mean/std)
 * @param scale numeric: multiplied in before the transform
 * @param clipLo numeric: lower clip after the transform (-inf = none)
 * @param clipHi numeric: upper clip after the transform (+inf = none)
 * @param timePart time: hour (0–23, UTC) or weekday (0 = Monday)
 * @param timeUnit time: seconds or milliseconds since the epoch
 */
public record FieldSpec(
    String name,
    FieldKind kind,
    String column,
    String empty,
    int prefix,
    int suffix,
    List<Double> buckets,
    String separator,
    int maxValues,
    NumericTransform transform,
    double scale,
    double clipLo,
    double clipHi,
    String timePart,
    String timeUnit,
    EmbeddingSpec embedding) {

  /** Numeric transforms. */
  public enum NumericTransform {
    NONE,
    LOG1P,
    ZSCORE
  }

  public FieldSpec {
    buckets = List.copyOf(buckets);
  }
}
