package ai.hiformer.cli;

import ai.hiformer.features.EncodedDataset;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.eval.Evaluator;
import ai.hiformer.learner.eval.RunResult;
import ai.hiformer.model.ModelConfig;
import ai.hiformer.model.ModelConfigKeys;
import ai.hiformer.model.ModelKind;
import ai.hiformer.model.ModelProfile;
import ai.hiformer.model.optim.OptimizerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code hiformer evaluate}: runs the evaluation protocol for models × modes × seeds and writes
 * {@code summary.json}, {@code learning_curve.csv} and {@code progressive_auc.png} into {@code
 * --out}.
 */
public final class EvaluateCommand extends OptionsCommand {
  /** Model keys evaluate sets itself (per run) rather than from a flag. */
  private static final Set<String> NOT_FLAGS = Set.of("kind", "tasks", "seed", "full-rank");

  /**
   * Every model key is a flag of its own name ({@code --layers 2}), from {@link ModelConfig#KEYS}.
   */
  static final List<String> MODEL_FLAGS =
      ModelConfigKeys.KEYS.stream()
          .map(ModelConfigKeys.Key::name)
          .filter(k -> !NOT_FLAGS.contains(k))
          .toList();

  static final Set<String> VALUED =
      java.util.stream.Stream.concat(
              java.util.stream.Stream.of(
                  "data",
                  "spec",
                  "model",
                  "mode",
                  "seeds",
                  "out",
                  "batch-size",
                  "threads",
                  "epochs",
                  "curve-points",
                  "dense-lr",
                  "embedding-lr"),
              java.util.stream.Stream.concat(
                  java.util.stream.Stream.concat(
                      DelayedEvaluation.FLAGS.stream(), LearnersEvaluation.FLAGS.stream()),
                  MODEL_FLAGS.stream()))
          .collect(java.util.stream.Collectors.toUnmodifiableSet());
  static final Set<String> FLAGS = Set.of("full-rank");

  public static final String USAGE =
      """
      Usage: hiformer evaluate --data PATH --spec SPEC.json [options]
        --model hiformer|heteroatt|transformer|autoint|dcnv2|lr   comma-separated list (default hiformer);
                                          a blend joins members by '+' (hiformer+dcnv2+lr): its row, then
                                          one per member (blend/member) as it scored inside the blend
        --mode online|offline|both        progressive validation and/or time split (default online)
        --seeds 0,1,2                     one run per seed (default 0,1,2)
        --out DIR                         where summary.json, learning_curve.csv, progressive_auc.png and
                                          reliability.png (predicted against observed, by decile) go
                                          (default runs/eval-<time>)
        --batch-size 256  --epochs 5 (offline)  --curve-points 100
        --threads 1                       threads each training step's forward and backward are split
                                          over (learn.threads; results equal 1 up to float rounding); a
                                          list (1,2) runs every seed once per count, alternating the order
                                          seed by seed, names rows model@Kt and prints the speed-up,
                                          beside the machine's ceiling: K one-thread learners at once
      Model options (the model configuration's keys; --profile protocol: docs/PROTOCOL.md's configuration,
      online (default): the same network started centred, see docs/RESULTS.md; --full-rank takes no value;
      --dense-tokens n > 0: the paper's dense MLP split into n tokens):
      """
          + modelDefaults()
          + """
      Optimiser: --dense-lr 0.001 (Adam) --embedding-lr 0.05 (sparse Adagrad)
      """
          + DelayedEvaluation.USAGE
          + LearnersEvaluation.USAGE;

  /** "--d 16 --heads 2 ..." from the declarations, wrapped. */
  private static String modelDefaults() {
    ModelConfig defaults = ModelConfig.builder(ModelKind.HIFORMER, ModelProfile.ONLINE).build();
    StringBuilder sb = new StringBuilder("  ");
    int line = 0;
    for (ModelConfigKeys.Key k : ModelConfigKeys.KEYS) {
      if (!MODEL_FLAGS.contains(k.name())) {
        continue;
      }
      String value =
          switch (k.name()) {
            case "ffn-hidden" -> "4d";
            case "precision" -> "float";
            case "profile" -> ModelProfile.ONLINE.cliName();
            case "centre-first-logits" -> Boolean.toString(defaults.centreFirstLogits());
            default -> k.write().apply(defaults);
          };
      String item = "--" + k.name() + " " + value + " ";
      if (line + item.length() > 100) {
        sb.append("\n  ");
        line = 0;
      }
      sb.append(item);
      line += item.length();
    }
    return sb.append('\n').toString();
  }

  EvaluateCommand() {
    super(
        "evaluate",
        "run the evaluation protocol (online progressive validation / offline split)",
        USAGE,
        VALUED,
        FLAGS);
  }

  @Override
  protected int run(Options o) throws IOException {
    Path data = Paths.get(o.required("data"));
    Path specPath = Paths.get(o.required("spec"));
    List<String> kinds = new ArrayList<>();
    for (String m : o.list("model", "hiformer")) {
      try {
        kinds.add(ModelConfig.builder(m).build().name());
      } catch (IllegalArgumentException e) {
        throw new Options.UsageException("evaluate: invalid --model: " + e.getMessage());
      }
    }
    String modeArg = o.get("mode", "online").toLowerCase(Locale.ROOT);
    List<String> modes =
        switch (modeArg) {
          case "online" -> List.of("online");
          case "offline" -> List.of("offline");
          case "both" -> List.of("online", "offline");
          default ->
              throw new Options.UsageException(
                  "evaluate: invalid --mode = '" + modeArg + "'; allowed: online, offline, both");
        };
    List<Long> seeds = new ArrayList<>();
    for (String s : o.list("seeds", "0,1,2")) {
      try {
        seeds.add(Long.parseLong(s));
      } catch (NumberFormatException e) {
        throw new Options.UsageException(
            "evaluate: invalid --seeds entry '" + s + "'; allowed: integers, comma-separated");
      }
    }
    Path out =
        Paths.get(
            o.get(
                "out",
                "runs/eval-"
                    + LocalDateTime.now(java.time.ZoneId.systemDefault())
                        .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
    int batchSize = o.integer("batch-size", 256, 1);
    int epochs = o.integer("epochs", 5, 1);
    List<Integer> threadCounts = o.positiveIntegers("threads", "1");
    OptimizerConfig opt =
        OptimizerConfig.defaults()
            .withDenseLr(o.number("dense-lr", 1e-3))
            .withEmbeddingLr(o.number("embedding-lr", 0.05));

    FeatureSpec spec = FeatureSpec.load(specPath);
    System.err.printf("Reading %s with spec %s ...%n", data, specPath);
    EncodedDataset dataset = EncodedDataset.load(spec, data);
    System.err.printf(
        "Prepared %,d events (%,d rejected, %,d positives), %d tokens per event%n",
        dataset.size(),
        dataset.rejected(),
        dataset.positives(),
        spec.layout().nCat() + spec.layout().nMulti() + spec.layout().nNum());
    for (String r : dataset.rejections()) {
      System.err.println("  rejected " + r);
    }
    if (dataset.size() == 0) {
      System.err.println("No usable events: nothing to evaluate.");
      return 1;
    }
    Files.createDirectories(out);
    Study study =
        new Study(
            o,
            dataset,
            opt,
            batchSize,
            kinds,
            seeds,
            (kind, seed) -> modelConfig(o, kind, spec.tasks().size(), seed),
            out,
            System.out);
    if (o.has("learners")) {
      return LearnersEvaluation.run(study);
    }
    if (o.has("label-delay")) {
      return DelayedEvaluation.run(study);
    }
    List<RunResult> runs = new ArrayList<>();
    List<RunResult> memberRuns = new ArrayList<>();
    boolean compareThreads = threadCounts.size() > 1;
    Map<String, Map<Integer, Map<Long, Double>>> independent = new LinkedHashMap<>();
    int curvePoints = o.integer("curve-points", 100, 1);
    for (String kind : kinds) {
      for (String mode : modes) {
        for (int s = 0; s < seeds.size(); s++) {
          long seed = seeds.get(s);
          ModelConfig config = modelConfig(o, kind, spec.tasks().size(), seed);
          // Alternate the order seed by seed, so that JIT warm-up and machine drift favour neither.
          List<Integer> order = new ArrayList<>(threadCounts);
          if (s % 2 == 1) {
            java.util.Collections.reverse(order);
          }
          for (int threads : order) {
            Evaluator evaluator =
                new Evaluator(dataset, opt, batchSize, curvePoints, threads, System.err::println);
            System.err.printf(
                "Running %s %s seed %d%s ...%n",
                kind, mode, seed, threads > 1 ? " on " + threads + " threads" : "");
            List<RunResult> rs =
                mode.equals("online")
                    ? evaluator.onlineWithMembers(config)
                    : List.of(evaluator.offline(config, epochs));
            RunResult r = rs.get(0);
            System.err.printf(
                "  -> AUC %.4f logloss %.4f (%.0f examples/s)%n",
                r.auc(), r.logLoss(), r.examplesPerSecond());
            for (RunResult x : rs) {
              (x == r ? runs : memberRuns)
                  .add(compareThreads ? x.named(x.model() + "@" + threads + "t") : x);
            }
          }
          for (int k : threadCounts) {
            if (compareThreads && k > 1 && mode.equals("online")) {
              // The machine's ceiling for the same seed: k learners that share nothing.
              System.err.printf(
                  "Running %s online seed %d as %d independent one-thread learners at once ...%n",
                  kind, seed, k);
              double sum =
                  ThreadSpeedup.independent(
                      k,
                      () ->
                          new Evaluator(
                              dataset, opt, batchSize, curvePoints, 1, System.err::println),
                      config);
              independent
                  .computeIfAbsent(kind + " online", x -> new LinkedHashMap<>())
                  .computeIfAbsent(k, x -> new LinkedHashMap<>())
                  .put(seed, sum);
            }
          }
        }
      }
    }
    // A blend's members, as they scored inside it, after every model's own rows.
    runs.addAll(memberRuns);
    Reports.printTable(runs, System.out);
    Map<String, Object> context = new LinkedHashMap<>();
    context.put("data", data.toAbsolutePath());
    context.put("spec", specPath.toAbsolutePath());
    context.put("events", dataset.size());
    context.put("rejected", dataset.rejected());
    context.put("batch_size", batchSize);
    context.put("threads", threadCounts);
    if (compareThreads) {
      context.put(
          "thread_speedup", ThreadSpeedup.summarise(runs, threadCounts, independent, System.out));
    }
    context.put("matrix_kernels", ai.hiformer.model.math.Blas.backend());
    context.put("optimizer", opt);
    context.put("model_config", modelConfig(o, kinds.get(0), spec.tasks().size(), seeds.get(0)));
    Reports.writeSummary(out.resolve("summary.json"), runs, context);
    Reports.writeCurveCsv(out.resolve("learning_curve.csv"), runs);
    if (modes.contains("online")) {
      Reports.writeCurvePng(
          out.resolve("progressive_auc.png"), runs, spec.name() + ": progressive AUC (online)");
      Reports.writeReliabilityPng(
          out.resolve("reliability.png"), runs, spec.name() + ": reliability by decile (online)");
    }
    System.out.println(
        "Wrote "
            + out.resolve("summary.json")
            + ", learning_curve.csv"
            + (modes.contains("online") ? ", progressive_auc.png, reliability.png" : ""));
    return 0;
  }

  static ModelConfig modelConfig(Options o, String kind, int tasks, long seed) {
    // MODEL_FLAGS follow ModelConfigKeys.KEYS, whose first is the profile: the keys named after it
    // win.
    ModelConfig.Builder b =
        ModelConfig.builder(kind)
            .profile(ModelProfile.ONLINE)
            .tasks(tasks)
            .seed(seed)
            .fullRank(o.bool("full-rank", false));
    for (String k : MODEL_FLAGS) {
      if (o.has(k)) {
        try {
          ModelConfigKeys.set(b, k, o.get(k, ""));
        } catch (IllegalArgumentException e) {
          throw new Options.UsageException(
              "evaluate: invalid --"
                  + k
                  + " = '"
                  + o.get(k, "")
                  + "'; allowed: "
                  + ModelConfigKeys.key(k).orElseThrow().allowed());
        }
      }
    }
    if (kind.equals(ModelKind.AUTOINT.cliName()) && !o.has("value-dim")) {
      // AutoInt's value size equals its key size (docs/PROTOCOL.md §2.2)
      b.valueDim(o.has("key-dim") ? Integer.parseInt(o.get("key-dim", "8")) : 8);
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new Options.UsageException("evaluate: " + e.getMessage());
    }
  }
}
