package ai.hiformer.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The project's structure, checked over the main classes of every module (this module depends on
 * all of them): no package cycles, and the Flink-free modules stay free of Flink and of the jobs.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("ai.hiformer");
  }

  @Test
  void noTwoPackagesDependOnEachOther() {
    // One slice per package: a cycle through any chain of packages fails.
    slices().matching("ai.hiformer.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void theModelAndTheFeaturesKnowNothingOfFlinkOrTheJobs() {
    noClasses()
        .that()
        .resideInAnyPackage("ai.hiformer.model..", "ai.hiformer.features..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.flink..",
            "ai.hiformer.jobs..",
            "ai.hiformer.learner..",
            "ai.hiformer.cli..")
        .check(classes);
  }
}
