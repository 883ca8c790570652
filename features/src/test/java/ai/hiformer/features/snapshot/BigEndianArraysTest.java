package ai.hiformer.features.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BigEndianArraysTest {
  /** Numbers over many magnitudes; some tests take more than one chunk's worth. */
  private static double[] numbers(int n) {
    SplittableRandom random = new SplittableRandom(3);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = random.nextGaussian() * Math.pow(10, random.nextInt(-30, 30));
    }
    return v;
  }

  @Test
  void doublesAreTheBytesDataOutputStreamWritesAndReadBackExactly() throws Exception {
    for (int n : new int[] {0, 1, 4095, 4096, 4097, 10_000}) {
      double[] v = numbers(n);
      ByteArrayOutputStream bulk = new ByteArrayOutputStream();
      BigEndianArrays.writeDoubles(new DataOutputStream(bulk), v);
      ByteArrayOutputStream oneByOne = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(oneByOne);
      for (double x : v) {
        out.writeDouble(x);
      }
      assertThat(bulk.toByteArray()).isEqualTo(oneByOne.toByteArray());
      double[] back = new double[n];
      BigEndianArrays.readDoubles(
          new DataInputStream(new ByteArrayInputStream(bulk.toByteArray())), back);
      assertThat(back).containsExactly(v);
    }
  }

  @Test
  void floatsAreTheBytesDataOutputStreamWrites() throws Exception {
    double[] v = numbers(40);
    ByteArrayOutputStream bulk = new ByteArrayOutputStream();
    BigEndianArrays.writeFloats(new DataOutputStream(bulk), v, 8, 16, ByteBuffer.allocate(64));
    ByteArrayOutputStream oneByOne = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(oneByOne);
    for (int j = 8; j < 24; j++) {
      out.writeFloat((float) v[j]);
    }
    assertThat(bulk.toByteArray()).isEqualTo(oneByOne.toByteArray());
    double[] back = new double[20];
    BigEndianArrays.readFloats(
        new DataInputStream(new ByteArrayInputStream(bulk.toByteArray())),
        back,
        2,
        16,
        ByteBuffer.allocate(64));
    for (int j = 0; j < 16; j++) {
      assertThat(back[2 + j]).isEqualTo((double) (float) v[8 + j]);
    }
  }
}
