package ai.hiformer.cli;

import ai.hiformer.features.EncodedDataset;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.optim.OptimizerConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * What every {@code evaluate} study shares: the command's options, the prepared data, the optimiser
 * and micro-batch, the models and seeds to run, where the results go and where progress is printed.
 */
record Study(
    Options options,
    EncodedDataset dataset,
    OptimizerConfig optimizer,
    int batchSize,
    List<String> kinds,
    List<Long> seeds,
    Study.ModelConfigs configs,
    Path out,
    PrintStream print) {

  /** The configuration of one model kind at one seed (the command's model options applied). */
  interface ModelConfigs {
    ModelConfig of(String kind, long seed);
  }
}
