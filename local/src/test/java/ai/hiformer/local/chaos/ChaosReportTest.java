package ai.hiformer.local.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chaos checker's verdict and figures, from the history it read. */
class ChaosReportTest {
  private static final long T0 = 1_000_000;

  private static Fault fault(Fault.Kind kind, long atS, double recoveryS) {
    Fault f = new Fault(kind, "x", T0 + atS * 1000);
    if (!Double.isNaN(recoveryS)) {
      f.recovered(T0 + atS * 1000 + Math.round(recoveryS * 1000));
    }
    return f;
  }

  private static ChaosReport.Check clean() {
    return new ChaosReport.Check(1000, 1000, 0, 0, 0, 1020, 1020, 300, 300, 90, 85, 0);
  }

  private static ChaosReport report(List<Fault> faults, ChaosReport.Check check) {
    return new ChaosReport(ChaosSettings.of(20, 1), "chaos-1", T0, faults, check);
  }

  @Test
  void recoveryTimesArePerKindMedianAndMax() {
    ChaosReport r =
        report(
            List.of(
                fault(Fault.Kind.TASKMANAGER_KILL, 10, 4),
                fault(Fault.Kind.TASKMANAGER_KILL, 50, 12),
                fault(Fault.Kind.TASKMANAGER_KILL, 90, 6),
                fault(Fault.Kind.JOBMANAGER_KILL, 130, 18)),
            clean());
    JsonNode json = r.toJson();
    assertThat(json.at("/recovery/taskmanager-kill/count").asInt()).isEqualTo(3);
    assertThat(json.at("/recovery/taskmanager-kill/p50_s").asDouble()).isEqualTo(6.0);
    assertThat(json.at("/recovery/taskmanager-kill/max_s").asDouble()).isEqualTo(12.0);
    assertThat(json.at("/recovery/jobmanager-kill/p50_s").asDouble()).isEqualTo(18.0);
    assertThat(json.at("/recovery/broker-kill").isMissingNode()).as("no broker fault").isTrue();
    assertThat(json.at("/faults/3/at_s").asDouble()).isEqualTo(130.0);
    assertThat(r.passed()).isTrue();
    assertThat(r.summary()).contains("PASSED").contains("taskmanager-kill");
  }

  @Test
  void anyLossDuplicateDoubleLearningOrUnrecoveredFaultFails() {
    List<Fault> recovered = List.of(fault(Fault.Kind.BROKER_KILL, 10, 3));
    assertThat(report(recovered, clean()).passed()).isTrue();
    assertThat(
            report(
                    recovered,
                    new ChaosReport.Check(1000, 999, 1, 0, 0, 1020, 1020, 300, 300, 90, 85, 0))
                .passed())
        .as("a lost event")
        .isFalse();
    assertThat(
            report(
                    recovered,
                    new ChaosReport.Check(1000, 1000, 0, 2, 0, 1020, 1020, 300, 300, 90, 85, 0))
                .passed())
        .as("duplicates")
        .isFalse();
    ChaosReport.Check twice =
        new ChaosReport.Check(1000, 1000, 0, 0, 0, 1020, 1020, 300, 301, 91, 85, 0);
    assertThat(twice.learnedTwice()).isEqualTo(1);
    assertThat(report(recovered, twice).passed()).as("a positive learned twice").isFalse();
    assertThat(
            report(
                    recovered,
                    new ChaosReport.Check(1000, 1000, 0, 0, 0, 1020, 1019, 300, 300, 90, 85, 0))
                .passed())
        .as("an impression not learned")
        .isFalse();
    assertThat(
            report(
                    recovered,
                    new ChaosReport.Check(1000, 1000, 0, 0, 0, 1020, 1020, 300, 300, 90, 85, 1))
                .passed())
        .as("a model that went back")
        .isFalse();
    ChaosReport stuck = report(List.of(fault(Fault.Kind.JOBMANAGER_KILL, 10, Double.NaN)), clean());
    assertThat(stuck.passed()).as("a fault never recovered from").isFalse();
    assertThat(stuck.toJson().at("/faults/0/recovery_s").isNull()).isTrue();
  }
}
