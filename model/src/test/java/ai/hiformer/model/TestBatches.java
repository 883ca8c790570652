package ai.hiformer.model;

import java.util.SplittableRandom;

/** Seeded random batches for gradient checks and unit tests. */
final class TestBatches {
  private TestBatches() {}

  static Batch random(InputLayout layout, int size, int tasks, int vocab, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Batch b = layout.newBatch(size, tasks);
    b.setSize(size);
    for (int i = 0; i < size; i++) {
      for (int f = 0; f < layout.nCat(); f++) {
        // include id 0 (OOV) now and then
        b.cat[i * layout.nCat() + f] = rng.nextInt(10) == 0 ? 0 : 1 + rng.nextInt(vocab);
      }
      for (int f = 0; f < layout.nMulti(); f++) {
        int count = rng.nextInt(layout.maxMulti() + 1); // zero values sometimes
        for (int k = 0; k < count; k++) {
          b.multi[(i * layout.nMulti() + f) * layout.maxMulti() + k] = 1 + rng.nextInt(vocab);
        }
      }
      for (int f = 0; f < layout.nNum(); f++) {
        boolean missing = rng.nextInt(4) == 0;
        b.num[i * layout.nNum() + f] = missing ? 0 : rng.nextDouble() * 2 - 0.5;
        b.miss[i * layout.nNum() + f] = missing ? 1 : 0;
      }
      for (int k = 0; k < tasks; k++) {
        boolean labelled = tasks == 1 || rng.nextInt(5) != 0;
        b.label[i * tasks + k] = rng.nextBoolean() ? 1 : 0;
        b.labelMask[i * tasks + k] = labelled ? 1 : 0;
      }
    }
    return b;
  }

  /**
   * One forward and backward pass with fresh gradients: the parameter gradients of the batch's loss
   * are left in the model's parameters.
   *
   * @return the logits (batch size × tasks)
   */
  static double[] gradients(CtrModel model, Batch batch) {
    double[] logits = new double[batch.size() * batch.tasks];
    double[] dLogits = new double[logits.length];
    model.params().zeroGrads();
    model.forward(batch, logits);
    ai.hiformer.model.Loss.lossAndGradient(batch, logits, dLogits);
    model.backward(batch, dLogits);
    return logits;
  }

  /**
   * Bytes the calling thread allocates per training step once warm: 200 steps over four random
   * batches of 64 (buffers and tables grow, the JIT settles), then the mean over 50 more.
   */
  static long bytesPerSteadyStep(ai.hiformer.model.train.Learner learner, InputLayout layout) {
    Batch[] batches = new Batch[4];
    for (int i = 0; i < batches.length; i++) {
      batches[i] = random(layout, 64, 1, 20, i);
    }
    double[] probs = new double[64];
    for (int i = 0; i < 200; i++) {
      learner.predictThenTrain(batches[i % batches.length], probs);
    }
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(id);
    for (int i = 0; i < 50; i++) {
      learner.predictThenTrain(batches[i % batches.length], probs);
    }
    return (threads.getThreadAllocatedBytes(id) - before) / 50;
  }
}
