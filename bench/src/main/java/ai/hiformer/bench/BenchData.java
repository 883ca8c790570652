package ai.hiformer.bench;

import ai.hiformer.features.EncodedDataset;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.model.Batch;
import ai.hiformer.model.InputLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.SplittableRandom;

/**
 * Real prepared batches for the benchmarks: the first events of a shared dataset when {@code
 * -Dhiformer.data.dir} (default {@code ../shared/data}) holds it, otherwise synthetic batches with
 * the same layout and vocabulary sizes (said on stderr).
 */
final class BenchData {
  private BenchData() {}

  static Batch[] batches(String dataset, int batchSize, int count) throws IOException {
    Path root = Paths.get(System.getProperty("hiformer.data.dir", "../shared/data"));
    Path specs = findSpecs();
    String folder = dataset.equals("movielens") ? "movielens-100k" : "criteo-kaggle-sample";
    FeatureSpec spec = FeatureSpec.load(specs.resolve(dataset + ".json"));
    if (Files.isDirectory(root.resolve(folder))) {
      EncodedDataset data = EncodedDataset.load(spec, root.resolve(folder));
      Batch[] out = new Batch[count];
      for (int i = 0; i < count; i++) {
        out[i] = spec.layout().newBatch(batchSize, spec.tasks().size());
        int from = (i * batchSize) % Math.max(1, data.size() - batchSize);
        data.fill(out[i], from, from + batchSize);
      }
      return out;
    }
    System.err.println(
        "bench: "
            + root.resolve(folder)
            + " not found; using synthetic batches of the same layout");
    return synthetic(
        spec.layout(),
        spec.tasks().size(),
        batchSize,
        count,
        dataset.equals("movielens") ? 1000 : 2000);
  }

  static Batch[] synthetic(InputLayout layout, int tasks, int batchSize, int count, int vocab) {
    SplittableRandom rng = new SplittableRandom(1);
    Batch[] out = new Batch[count];
    for (int i = 0; i < count; i++) {
      Batch b = layout.newBatch(batchSize, tasks);
      b.setSize(batchSize);
      for (int r = 0; r < batchSize; r++) {
        for (int f = 0; f < layout.nCat(); f++) {
          b.cat[r * layout.nCat() + f] = 1 + rng.nextInt(vocab);
        }
        for (int f = 0; f < layout.nMulti(); f++) {
          for (int k = 0; k < 2; k++) {
            b.multi[(r * layout.nMulti() + f) * layout.maxMulti() + k] = 1 + rng.nextInt(19);
          }
        }
        for (int f = 0; f < layout.nNum(); f++) {
          b.num[r * layout.nNum() + f] = rng.nextDouble();
        }
        b.label[r * tasks] = rng.nextBoolean() ? 1 : 0;
        b.labelMask[r * tasks] = 1;
      }
      out[i] = b;
    }
    return out;
  }

  /**
   * A learner of the named network (protocol configuration, seed 0) for batches like {@code
   * sample}.
   */
  static ai.hiformer.model.train.Learner learner(String model, Batch sample) {
    ai.hiformer.model.ModelConfig config =
        ai.hiformer.model.ModelConfig.builder(ai.hiformer.model.ModelKind.parse(model))
            .seed(0)
            .build();
    InputLayout layout = new InputLayout(sample.nCat, sample.nMulti, sample.maxMulti, sample.nNum);
    return new ai.hiformer.model.train.Learner(
        ai.hiformer.model.Models.create(config, layout),
        ai.hiformer.model.optim.OptimizerConfig.defaults());
  }

  static Path findSpecs() {
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("specs"))) {
        return p.resolve("specs");
      }
    }
    throw new IllegalStateException("specs/ not found; run from the repository");
  }
}
