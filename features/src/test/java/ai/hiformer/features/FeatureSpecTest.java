package ai.hiformer.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.features.spec.FieldKind;
import ai.hiformer.features.spec.SpecException;
import org.junit.jupiter.api.Test;

class FeatureSpecTest {
  private static final String TASKS = "\"tasks\": [{\"name\": \"click\"}], ";

  @Test
  void anUnknownFieldKindNamesTheFieldAndTheAllowedKinds() {
    assertThatThrownBy(
            () ->
                FeatureSpec.parse(
                    "{\"format\": \"jsonl\", "
                        + TASKS
                        + "\"fields\": [{\"name\": \"price\", \"kind\": \"float\"}]}"))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("field 'price'")
        .hasMessageContaining("unknown kind 'float'")
        .hasMessageContaining("categorical");
  }

  @Test
  void anUnknownKeyIsRejectedWithTheAllowedKeys() {
    assertThatThrownBy(
            () ->
                FeatureSpec.parse(
                    "{\"format\": \"jsonl\", "
                        + TASKS
                        + "\"fields\": [{\"name\": \"u\", \"kind\": \"categorical\", \"colum\": \"user\"}]}"))
        .hasMessageContaining("field 'u'")
        .hasMessageContaining("unknown key 'colum'")
        .hasMessageContaining("column");
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(
            () ->
                FeatureSpec.parse(
                    "{\"format\": \"jsonl\", "
                        + TASKS
                        + "\"fields\": [{\"name\": \"x\", \"kind\": \"numeric\", \"transform\": \"sqrt\"}]}"))
        .hasMessageContaining("field 'x'")
        .hasMessageContaining("unknown transform 'sqrt'");
    assertThatThrownBy(
            () ->
                FeatureSpec.parse(
                    "{\"format\": \"parquet\", "
                        + TASKS
                        + "\"fields\": [{\"name\": \"x\", \"kind\": \"numeric\"}]}"))
        .hasMessageContaining("spec.format")
        .hasMessageContaining("parquet");
    assertThatThrownBy(
            () ->
                FeatureSpec.parse(
                    "{\"format\": \"jsonl\", "
                        + TASKS
                        + "\"fields\": [{\"name\": \"x\", \"kind\": \"categorical\", \"embedding\": {\"keys\": \"hashed\"}}]}"))
        .hasMessageContaining("field 'x'.embedding")
        .hasMessageContaining("buckets");
    assertThatThrownBy(
            () ->
                FeatureSpec.parse(
                    "{\"format\": \"jsonl\", \"fields\": [{\"name\": \"x\", \"kind\": \"numeric\"}]}"))
        .hasMessageContaining("spec.tasks");
    assertThatThrownBy(
            () ->
                FeatureSpec.parse(
                    "{\"format\": \"delimited\", \"columns\": [\"a\"], "
                        + TASKS
                        + "\"fields\": [{\"name\": \"x\", \"kind\": \"numeric\"}]}"))
        .hasMessageContaining("column 'x' is not in spec.columns");
    assertThatThrownBy(() -> FeatureSpec.parse("{not json")).hasMessageContaining("not valid JSON");
  }

  @Test
  void tokensAreOrderedSingleThenMultiThenNumeric() {
    FeatureSpec spec =
        FeatureSpec.parse(
            "{\"format\": \"jsonl\", "
                + TASKS
                + "\"fields\": ["
                + "{\"name\": \"n\", \"kind\": \"numeric\"}, {\"name\": \"m\", \"kind\": \"multi\", \"max_values\": 3},"
                + "{\"name\": \"c\", \"kind\": \"categorical\"}, {\"name\": \"t\", \"kind\": \"time\", \"part\": \"weekday\"}]}");
    assertThat(spec.fields()).extracting(f -> f.name()).containsExactly("c", "t", "m", "n");
    assertThat(spec.layout().nCat()).isEqualTo(2);
    assertThat(spec.layout().maxMulti()).isEqualTo(3);
    assertThat(spec.count(FieldKind.NUMERIC)).isEqualTo(1);
  }
}
