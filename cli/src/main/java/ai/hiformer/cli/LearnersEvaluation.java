package ai.hiformer.cli;

import ai.hiformer.learner.Metrics;
import ai.hiformer.learner.eval.ParallelLearners;
import ai.hiformer.learner.eval.RunResult;
import ai.hiformer.model.train.PeerExchange;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code evaluate --learners 1,2,4,8 --sync-examples 256,4096}: K learners of one model exchanging
 * their deltas every S examples ({@link ParallelLearners}), for models × K × S × seeds (K = 1 runs
 * once per seed, whatever S). Writes every run to {@code learners.csv} and, per model, K and S, AUC
 * and log-loss over the seeds (min, median, mean, std, max) with the mean AUC's difference from one
 * learner and the lowest seed's distance below one learner's minimum to {@code learners.json};
 * prints both.
 */
final class LearnersEvaluation {
  static final List<String> FLAGS = List.of("learners", "sync-examples", "exchange");

  static final String USAGE =
      """
      Parallel learners (docs/DESIGN.md): --learners 1,2,4,8 runs K learners exchanging deltas instead,
        --sync-examples 256,1024,4096,16384 (default 4096) examples of the stream between exchanges,
        --exchange weights,gradients (default weights, as learn.exchange) what the learners merge
      """;

  private LearnersEvaluation() {}

  static int run(Study study) throws IOException {
    List<Integer> ks = study.options().positiveIntegers("learners", "1");
    List<Integer> syncs = study.options().positiveIntegers("sync-examples", "4096");
    List<String> merges =
        study
            .options()
            .listOf("exchange", "weights", List.of("weights", "gradients"), "weights, gradients");
    ParallelLearners simulation =
        new ParallelLearners(study.dataset(), study.optimizer(), study.batchSize());
    StringBuilder csv =
        new StringBuilder("model,learners,sync_examples,exchange,seed,auc,log_loss,ne\n");
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("events", study.dataset().size())
        .put("batch_size", study.batchSize())
        .put("seeds", study.seeds().size());
    var groups = root.putArray("summaries");
    study
        .print()
        .println(
            "model     K  S      exchange  | AUC mean ± std (min / median) | ΔAUC vs K=1 | lowest seed below K=1's"
                + " min | log-loss mean ± std");
    for (String kind : study.kinds()) {
      double[] oneAuc = null;
      for (int k : ks) {
        for (String[] run : runs(k, syncs, merges)) {
          int s = Integer.parseInt(run[0]);
          String mergeName = run[1];
          PeerExchange.Merge merge = PeerExchange.Merge.valueOf(mergeName.toUpperCase(Locale.ROOT));
          List<RunResult> group = new ArrayList<>();
          List<ParallelLearners.Outcome> outcomes = new ArrayList<>();
          for (long seed : study.seeds()) {
            ParallelLearners.Outcome outcome =
                simulation.online(study.configs().of(kind, seed), k, k == 1 ? 1 : s, merge);
            outcomes.add(outcome);
            RunResult r = outcome.result();
            group.add(r);
            csv.append(String.join(",", kind, "" + k, "" + s, mergeName, "" + seed))
                .append(',')
                .append(r.auc())
                .append(',')
                .append(r.logLoss())
                .append(',')
                .append(r.ne())
                .append('\n');
            study
                .print()
                .printf(
                    Locale.ROOT,
                    "  %s K=%d S=%d %s seed %d: AUC %.4f log-loss %.4f%n",
                    kind,
                    k,
                    s,
                    mergeName,
                    seed,
                    r.auc(),
                    r.logLoss());
          }
          double[] auc = group.stream().mapToDouble(RunResult::auc).toArray();
          double[] ll = group.stream().mapToDouble(RunResult::logLoss).toArray();
          if (k == 1) {
            oneAuc = auc;
          }
          ObjectNode g = groups.addObject();
          g.put("model", kind).put("learners", k).put("sync_examples", s);
          if (k > 1) {
            g.put("exchange", mergeName);
          }
          DelayedEvaluation.stats(g.putObject("auc"), auc);
          DelayedEvaluation.stats(g.putObject("log_loss"), ll);
          double diff = oneAuc == null ? Double.NaN : Metrics.mean(auc) - Metrics.mean(oneAuc);
          double below = oneAuc == null ? Double.NaN : min(oneAuc) - min(auc);
          if (oneAuc != null) {
            g.put("auc_mean_minus_one_learner", diff).put("lowest_below_one_learner_min", below);
          }
          if (k > 1) {
            g.put(
                    "rows_per_exchange",
                    Metrics.median(
                        outcomes.stream()
                            .mapToDouble(ParallelLearners.Outcome::rowsPerExchange)
                            .toArray()))
                .put("dense_weights", outcomes.get(0).denseWeights())
                .put(
                    "ms_per_exchange",
                    Metrics.median(
                        outcomes.stream()
                            .mapToDouble(ParallelLearners.Outcome::millisPerExchange)
                            .toArray()));
          }
          study
              .print()
              .printf(
                  Locale.ROOT,
                  "%-9s %-2d %-6s %-9s | %.4f ± %.4f (%.4f / %.4f) | %+.4f | %+.4f | %.4f ± %.4f%n",
                  kind,
                  k,
                  k == 1 ? "-" : "" + s,
                  k == 1 ? "-" : mergeName,
                  Metrics.mean(auc),
                  Metrics.std(auc),
                  min(auc),
                  Metrics.median(auc),
                  diff,
                  below,
                  Metrics.mean(ll),
                  Metrics.std(ll));
        }
      }
    }
    Files.createDirectories(study.out());
    Files.writeString(study.out().resolve("learners.csv"), csv);
    json.writerWithDefaultPrettyPrinter()
        .writeValue(study.out().resolve("learners.json").toFile(), root);
    study.print().println("Wrote " + study.out().resolve("learners.json") + ", learners.csv");
    return 0;
  }

  /** The (S, exchange) pairs K learners run: one for a single learner, which never exchanges. */
  private static List<String[]> runs(int k, List<Integer> syncs, List<String> merges) {
    List<String[]> out = new ArrayList<>();
    if (k == 1) {
      out.add(new String[] {"0", "weights"});
      return out;
    }
    for (int s : syncs) {
      for (String m : merges) {
        out.add(new String[] {"" + s, m});
      }
    }
    return out;
  }

  private static double min(double[] v) {
    return java.util.Arrays.stream(v).min().orElse(Double.NaN);
  }
}
