package ai.hiformer.jobs.operators;

import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.learner.ProgressiveMetrics;
import org.apache.flink.metrics.MetricGroup;

/**
 * A model's gauges under {@code model.<id>}: its version, pending examples, vocabulary evictions
 * and versions held back, and per task ({@code task.<name>}) the progressive AUC, log-loss,
 * normalised entropy and calibration of its scores and their count; a blend adds each member's AUC
 * and log-loss ({@code member.<name>}).
 */
final class RuntimeGauges {
  private RuntimeGauges() {}

  static void register(MetricGroup g, ModelRuntime r, FeatureSpec spec) {
    g.gauge("modelVersion", r::version);
    g.gauge("pendingExamples", r::pendingExamples);
    g.gauge("vocabularyEvictions", r::vocabularyEvictions);
    g.gauge("versionsHeldBack", r::versionsHeldBack);
    for (int k = 0; k < spec.tasks().size(); k++) {
      ProgressiveMetrics m = r.metrics().task(k);
      MetricGroup t = g.addGroup("task", spec.tasks().get(k).name());
      t.gauge("progressiveAuc", m::auc);
      t.gauge("progressiveLogLoss", m::logLoss);
      t.gauge("progressiveNe", m::normalisedEntropy);
      t.gauge("progressiveCalibration", m::calibration);
      t.gauge("examples", m::count);
      for (int i = 0; i < r.metrics().memberNames().size(); i++) {
        ProgressiveMetrics mm = r.metrics().member(i, k);
        MetricGroup member = t.addGroup("member", r.metrics().memberNames().get(i));
        member.gauge("progressiveAuc", mm::auc);
        member.gauge("progressiveLogLoss", mm::logLoss);
      }
    }
  }
}
