package ai.hiformer.model.math;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where OpenBLAS multiplies a small sgemm without packing, and how many rows of a short batch to
 * give it per call.
 *
 * <p>OpenBLAS 0.3.21 on AVX-512 cores (its SkylakeX, CooperLake and SapphireRapids kernels) runs a
 * product of at most {@link #MAX_MACS} multiply-adds in a direct kernel straight from the operands.
 * A larger one takes the general path, which first copies both operands into packed panels. For the
 * short batches of scoring that copy is mostly B, a weight matrix (Criteo's composite projection:
 * 640×256 floats a call), and it also evicts what the Java layers around it had in cache, so the
 * whole pass slows down. ScoreBenchmark, Hiformer on Criteo, on a Xeon with AVX-512
 * (docs/benchmarks/score-split-sgemm-2026-12-08): 97–108 k examples/s in batches of 6 (983,040
 * multiply-adds in that product: direct), 56–57 k in batches of 7 (1,146,880: packed); in slices of
 * 6 rows, 88–95 k at 7 rows, 101–114 k at 8 (from 66 k), 96–99 k at 16 (from 75–79 k), 98–112 k at
 * 32 (from 91–93 k), and nothing gained from 64 rows on, where packing pays for itself. Cores on
 * OpenBLAS's AVX2 kernels (Haswell, Zen), which have no direct path, only pack more when a product
 * is split (35 against 29 µs a row at 7 rows in a probe, not kept), so there it is off.
 */
final class SmallSgemm {
  /** The largest product, in multiply-adds, that OpenBLAS runs in its direct kernel. */
  static final long MAX_MACS = 1_000_000;

  /** Batches of more rows than this take one call: packing B once is then cheaper. */
  static final int MAX_SPLIT_ROWS = 32;

  /**
   * Whether short batches are split for the direct kernel: {@code -Dhiformer.sgemmSplit=true|false}
   * (for A/B benchmarks); by default where OpenBLAS picks an AVX-512 kernel. Process-wide; tests
   * switch it to take both paths on any machine.
   */
  private static volatile boolean split = splitByDefault();

  private SmallSgemm() {}

  static boolean split() {
    return split;
  }

  static void setSplit(boolean on) {
    split = on;
  }

  /**
   * Rows per sgemm call for an (m×k)·(k×n) product with A not transposed: m (one call) unless the
   * whole product is too large for the direct kernel while a slice of rows fits it.
   */
  static int rowsPerCall(boolean split, int m, int n, int k) {
    long rowMacs = (long) n * k;
    if (!split || m > MAX_SPLIT_ROWS || m * rowMacs <= MAX_MACS || rowMacs > MAX_MACS) {
      return m;
    }
    return (int) (MAX_MACS / rowMacs);
  }

  private static boolean splitByDefault() {
    String forced = System.getProperty("hiformer.sgemmSplit");
    if (forced != null) {
      return Boolean.parseBoolean(forced);
    }
    // OPENBLAS_CORETYPE overrides OpenBLAS's own choice of kernel.
    String coreType = System.getenv("OPENBLAS_CORETYPE");
    if (coreType != null && !coreType.isBlank()) {
      String core = coreType.trim().toLowerCase(Locale.ROOT);
      return core.equals("skylakex") || core.equals("cooperlake") || core.equals("sapphirerapids");
    }
    return cpuHasAvx512();
  }

  /** AVX-512 F and BW, as OpenBLAS requires for those kernels; false where it cannot tell. */
  private static boolean cpuHasAvx512() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
      for (String line : lines) {
        if (line.startsWith("flags")) {
          List<String> flags = List.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
          return flags.contains("avx512f") && flags.contains("avx512bw");
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
