package ai.hiformer.model.math;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FloatGemmTest {
  @Test
  void valuesThatWouldBeSubnormalFloatsAreStagedAsZeroAndOthersRounded() {
    double[] src = {1e-39, -1e-40, Float.MIN_NORMAL, 0.1, -3.5, 1e-300, 0};
    FloatGemm.Matrix m = new FloatGemm.Matrix().ensure(src.length);
    FloatGemm.toFloat(src, 0, src.length, 1, src.length, m, 0, src.length);
    assertThat(m.get(0)).isZero();
    assertThat(m.get(1)).isZero();
    assertThat(m.get(2)).isEqualTo(Float.MIN_NORMAL);
    assertThat(m.get(3)).isEqualTo(0.1f);
    assertThat(m.get(4)).isEqualTo(-3.5f);
    assertThat(m.get(5)).isZero();
    assertThat(m.get(6)).isZero();
    for (int i = 0; i < src.length; i++) {
      float f = m.get(i);
      assertThat(f == 0 || Math.abs(f) >= Float.MIN_NORMAL)
          .as("value %d is not subnormal", i)
          .isTrue();
    }
  }
}
