package ai.hiformer.features;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.Batch;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The online z-score: extreme inputs cannot poison its running statistics for good. */
class ZscoreTest {
  private static final FeatureSpec SPEC =
      FeatureSpec.parse(
          """
      {"name": "z", "format": "jsonl", "tasks": [{"name": "click"}],
       "fields": [{"name": "price", "kind": "numeric", "transform": "zscore"}]}""");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static double encode(FeatureEncoder encoder, Batch batch, String price) throws Exception {
    encoder.encode(JsonLinesReader.of(JSON.readTree("{\"price\": " + price + "}"), "t"), batch, 0);
    return batch.num[0];
  }

  @Test
  void valuesThatWouldOverflowTheStatisticsAreLeftOutAndLaterValuesStillScale() throws Exception {
    Batch batch = SPEC.layout().newBatch(1, 1);
    FeatureEncoder clean = new FeatureEncoder(SPEC, null);
    FeatureEncoder attacked = new FeatureEncoder(SPEC, null);
    for (int i = 1; i <= 10; i++) {
      encode(clean, batch, Integer.toString(i));
      encode(attacked, batch, Integer.toString(i));
    }
    double poison1 = encode(attacked, batch, "1.7e308");
    double poison2 = encode(attacked, batch, "-1.7e308");
    assertThat(Double.isFinite(poison1)).isTrue();
    assertThat(Double.isFinite(poison2)).isTrue();
    // The extreme pair overflows the running sums (their difference is beyond Double.MAX_VALUE): it
    // is left out,
    // and the next values are scaled as they would have been without it.
    for (String v : new String[] {"3", "7.5", "12"}) {
      double want = encode(clean, batch, v);
      double got = encode(attacked, batch, v);
      assertThat(got).as("z of %s", v).isEqualTo(want).isNotZero();
    }
  }
}
