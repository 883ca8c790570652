package ai.hiformer.bench;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.Batch;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.ModelProfile;
import ai.hiformer.model.Models;
import ai.hiformer.model.io.LearnerCodec;
import ai.hiformer.model.optim.OptimizerConfig;
import ai.hiformer.model.train.Learner;
import java.util.Locale;

/**
 * Memory per embedding row in the learner, everything a row costs once learnt: its values, its
 * optimiser state, the vocabulary entry that maps its key to it, and the bookkeeping of touched and
 * changed rows. Learns N distinct keys of each of two categorical fields (Hiformer, d = 16, online
 * profile; unbounded exact vocabularies, every row trained once), then reports the heap in use
 * after a full GC, per row, beside the bytes per row of the learner's serialised state.
 *
 * <pre>{@code java -Xmx8g -cp bench/target/benchmarks.jar ai.hiformer.bench.RowMemory 1000000}
 * </pre>
 */
public final class RowMemory {
  private RowMemory() {}

  public static void main(String[] args) throws Exception {
    int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    FeatureSpec spec =
        FeatureSpec.parse(
            """
        {"name": "rows", "format": "jsonl", "tasks": [{"name": "click"}],
         "embedding": {"keys": "exact", "capacity": 0, "ttl_events": 0},
         "fields": [{"name": "user", "kind": "categorical"}, {"name": "item", "kind": "categorical"}]}""");
    long before = usedHeap();
    FeatureEncoder encoder = new FeatureEncoder(spec, null);
    Learner learner =
        new Learner(
            Models.create(
                ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).build(),
                spec.layout()),
            OptimizerConfig.defaults());
    Batch batch = spec.layout().newBatch(256, 1);
    double[] probs = new double[256];
    long start = System.nanoTime();
    for (int i = 0; i < keys; i += 256) {
      int n = Math.min(256, keys - i);
      for (int b = 0; b < n; b++) {
        int k = i + b;
        encoder.encode(row("u" + k, "i" + k, k % 3 == 0), batch, b);
      }
      batch.setSize(n);
      learner.predictThenTrain(batch, probs);
    }
    long after = usedHeap();
    long rows = 2L * keys;
    long stateBytes = (long) LearnerCodec.encode(learner).length + encoder.stateBytes().length;
    System.out.printf(
        Locale.ROOT,
        "%,d rows (2 fields x %,d keys, d = 16) learnt in %.1f s%n",
        rows,
        keys,
        (System.nanoTime() - start) / 1e9);
    System.out.printf(
        Locale.ROOT,
        "heap per row: %.0f bytes (values, Adagrad accumulators, vocabulary entry,"
            + " touched/changed tracking)%n",
        (double) (after - before) / rows);
    System.out.printf(
        Locale.ROOT,
        "serialised state per row: %.0f bytes (learner + encoder state)%n",
        (double) stateBytes / rows);
    long tableBytes = learner.model().tables().stream().mapToLong(t -> t.storageBytes()).sum();
    long indexBytes = 0;
    for (int f = 0; f < 2; f++) {
      indexBytes +=
          ((ai.hiformer.features.vocab.ExactVocabulary) encoder.vocabulary(f)).indexBytes();
    }
    System.out.printf(
        Locale.ROOT,
        "of which: table pages %.0f bytes, vocabulary index %.0f bytes%n",
        (double) tableBytes / rows,
        (double) indexBytes / rows);
    System.out.println(
        "{\"rows\": "
            + rows
            + ", \"heap_bytes_per_row\": "
            + (after - before) / rows
            + ", \"state_bytes_per_row\": "
            + stateBytes / rows
            + "}");
    // Keep everything reachable until measured.
    if (learner.steps() < 0 || encoder.position() < 0) {
      System.out.println();
    }
  }

  private static Row row(String user, String item, boolean click) {
    return new Row() {
      @Override
      public String text(String column) {
        return switch (column) {
          case "user" -> user;
          case "item" -> item;
          case "click" -> click ? "1" : "0";
          default -> null;
        };
      }

      @Override
      public String origin() {
        return "rows";
      }
    };
  }

  private static long usedHeap() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
