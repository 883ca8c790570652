package ai.hiformer.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.Batch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generic readers: a new dataset needs a spec, not code; bad rows are skipped, counted and
 * explained.
 */
class GenericReaderTest {
  @TempDir Path dir;

  @Test
  void jsonLinesWithEveryFieldKind() throws IOException {
    Path data = dir.resolve("events.jsonl");
    Files.writeString(
        data,
        String.join(
            "\n",
            "{\"user\": \"u1\", \"tags\": [\"a\", \"b\"], \"price\": 3.0, \"ts\": 1700000000, \"click\": 1}",
            "{\"user\": \"u2\", \"tags\": \"b,c\", \"price\": null, \"ts\": 1700003600, \"click\": 0}",
            "{\"user\": \"u1\", \"tags\": [], \"price\": \"12\", \"ts\": 1700007200}",
            ""));
    FeatureSpec spec =
        FeatureSpec.parse(
            "{\"format\": \"jsonl\", \"tasks\": [{\"name\": \"click\"}], \"fields\": ["
                + "{\"name\": \"user\", \"kind\": \"categorical\"},"
                + "{\"name\": \"hour\", \"kind\": \"time\", \"column\": \"ts\"},"
                + "{\"name\": \"tags\", \"kind\": \"multi\", \"max_values\": 4},"
                + "{\"name\": \"price\", \"kind\": \"numeric\", \"transform\": \"log1p\", \"clip\": [0, 2]}]}");
    EncodedDataset d = EncodedDataset.load(spec, data);
    Batch r = d.rows();
    assertThat(d.size()).isEqualTo(3);
    assertThat(d.rejected()).isZero();
    // ids in order of first appearance, per field
    assertThat(new int[] {r.cat[0], r.cat[2], r.cat[4]}).containsExactly(1, 2, 1);
    assertThat(new int[] {r.cat[1], r.cat[3], r.cat[5]})
        .containsExactly(1, 2, 3); // hours 22, 23, 0
    assertThat(java.util.Arrays.copyOfRange(r.multi, 0, 4)).containsExactly(1, 2, 0, 0);
    assertThat(java.util.Arrays.copyOfRange(r.multi, 4, 8)).containsExactly(2, 3, 0, 0);
    assertThat(java.util.Arrays.copyOfRange(r.multi, 8, 12)).containsExactly(0, 0, 0, 0);
    assertThat(r.num[0]).isCloseTo(Math.log(4), within(1e-12));
    assertThat(r.miss[1]).isEqualTo(1.0);
    assertThat(r.num[2]).isEqualTo(2.0); // ln(13) clipped to 2
    assertThat(r.labelMask[2]).as("absent label").isZero();
  }

  @Test
  void malformedRowsAreSkippedWithTheirReasonAndNothingElseIsLost() throws IOException {
    Path data = dir.resolve("events.tsv");
    Files.writeString(
        data,
        String.join(
            "\n",
            "label\tuser\tprice",
            "1\tu1\t3",
            "0\tu2", // wrong field count
            "1\tu3\tabc", // unparseable number
            "0\tu4\tNaN", // non-finite
            "1\tu5\tInfinity", // non-finite
            "2\tu6\t1", // label not 0/1
            "0\tu7\t", // missing numeric: fine
            ""));
    FeatureSpec spec =
        FeatureSpec.parse(
            "{\"format\": \"delimited\", \"header\": true, "
                + "\"tasks\": [{\"name\": \"click\", \"column\": \"label\"}], \"fields\": ["
                + "{\"name\": \"user\", \"kind\": \"categorical\"}, {\"name\": \"price\", \"kind\": \"numeric\"}]}");
    EncodedDataset d = EncodedDataset.load(spec, data);
    assertThat(d.size()).isEqualTo(2); // u1 and u7
    assertThat(d.rejected()).isEqualTo(5);
    assertThat(d.rejections())
        .anySatisfy(
            s -> assertThat(s).contains("events.tsv:3").contains("expected 3 fields, found 2"));
    assertThat(d.rejections())
        .anySatisfy(
            s -> assertThat(s).contains("field 'price'").contains("unparseable number 'abc'"));
    assertThat(d.rejections()).anySatisfy(s -> assertThat(s).contains("non-finite value 'NaN'"));
    assertThat(d.rejections())
        .anySatisfy(s -> assertThat(s).contains("non-finite value 'Infinity'"));
    assertThat(d.rejections()).anySatisfy(s -> assertThat(s).contains("expected 0 or 1, got '2'"));
    // a rejected row assigns no ids: u7 is the second user seen by the vocabulary
    assertThat(d.rows().cat[1]).isEqualTo(2);
  }
}
