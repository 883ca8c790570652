package ai.hiformer.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.hiformer.features.spec.FeatureSpec;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The prepared inputs equal the reference's, byte for byte (docs/PROTOCOL.md §1.6). */
class PreparedInputChecksumTest {

  @Test
  void movieLensIdsAndNumericsMatchTheProtocol() throws IOException {
    Path dir = SharedData.require("movielens-100k");
    EncodedDataset data =
        EncodedDataset.load(FeatureSpec.load(SharedData.spec("movielens.json")), dir);
    assertThat(data.size()).isEqualTo(100_000);
    assertThat(data.rejected()).isZero();
    assertThat(data.positives()).isEqualTo(55_375);
    assertThat(data.rowCounts()).containsExactly(944, 1683, 8, 3, 22, 383, 73, 25, 8, 20);
    assertThat(data.idChecksum())
        .isEqualTo("1d5cc3faa7228deefe7f7109039d7ebf86cb6fe32c78eaf039d44b2470a3d4dc");
    assertThat(data.numericSum()).isCloseTo(32969.85, within(0.005));
    assertThat(data.missingSum()).isZero();
  }

  @Test
  void criteoIdsAndNumericsMatchTheProtocol() throws IOException {
    Path dir = SharedData.require("criteo-kaggle-sample");
    EncodedDataset data =
        EncodedDataset.load(FeatureSpec.load(SharedData.spec("criteo.json")), dir);
    assertThat(data.size()).isEqualTo(10_000);
    assertThat(data.rejected()).isZero();
    assertThat(data.positives()).isEqualTo(2_182);
    assertThat(data.rowCounts()[0]).isEqualTo(176);
    assertThat(data.rowCounts()[25]).isEqualTo(1940);
    assertThat(data.idChecksum())
        .isEqualTo("cb1a3e7831f91486910fab2164782d98b15fe7087730cbabbde7faf878dbe463");
    // The reference stored t as float32 before summing; our float64 sum is 248471.01083.
    assertThat(float32Sum(data)).isCloseTo(248471.0117, within(0.00005));
    assertThat(data.numericSum()).isCloseTo(248471.0117, within(0.002));
    assertThat(data.missingSum()).isEqualTo(27_181);
  }

  private static double float32Sum(EncodedDataset data) {
    double s = 0;
    double[] num = data.rows().num;
    for (int i = 0; i < data.size() * data.rows().nNum; i++) {
      s += (float) num[i];
    }
    return s;
  }
}
