package ai.hiformer.features;

import static org.assertj.core.api.Assertions.assertThat;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.Batch;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class EncoderStateTest {
  private static final FeatureSpec SPEC =
      FeatureSpec.parse(
          "{\"format\": \"jsonl\", \"tasks\": [{\"name\": \"y\"}],"
              + "\"fields\": [{\"name\": \"u\", \"kind\": \"categorical\", \"embedding\": {\"admission\": 2, \"capacity\": 5}},"
              + "{\"name\": \"h\", \"kind\": \"categorical\", \"embedding\": {\"keys\": \"hashed\", \"buckets\": 7}},"
              + "{\"name\": \"x\", \"kind\": \"numeric\", \"transform\": \"zscore\"}]}");

  @Test
  void aRestoredEncoderContinuesExactlyAsTheOriginal() throws Exception {
    FeatureEncoder original = new FeatureEncoder(SPEC, null);
    Batch a = SPEC.layout().newBatch(1, 1);
    Batch b = SPEC.layout().newBatch(1, 1);
    for (int i = 0; i < 40; i++) {
      original.encode(row(i), a, 0);
    }
    FeatureEncoder restored = new FeatureEncoder(SPEC, null);
    restored.restoreState(original.stateBytes());
    for (int i = 40; i < 80; i++) {
      original.encode(row(i), a, 0);
      restored.encode(row(i), b, 0);
      assertThat(b.cat).containsExactly(a.cat);
      assertThat(b.num).containsExactly(a.num);
    }
    assertThat(restored.stateBytes()).isEqualTo(original.stateBytes());
  }

  private static Row row(int i) throws Exception {
    String json =
        String.format(
            "{\"u\": \"u%d\", \"h\": \"h%d\", \"x\": %d, \"y\": %d}",
            (i * 7) % 9, i % 4, i % 13, i % 2);
    return JsonLinesReader.of(new ObjectMapper().readTree(json), "test:" + i);
  }
}
