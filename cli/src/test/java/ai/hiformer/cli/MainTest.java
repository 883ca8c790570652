package ai.hiformer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The command registry: every command is listed, answers --help, and rejects what it does not know.
 */
class MainTest {
  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = Main.run(args);
      return new Result(
          code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void helpListsEveryRegisteredCommandAndEachAnswersItsOwnHelp() {
    Result help = run("--help");
    assertThat(help.code()).isZero();
    assertThat(Main.COMMANDS).hasSize(11);
    for (Command c : Main.COMMANDS) {
      assertThat(help.out()).contains(c.name()).contains(c.summary());
      Result own = run(c.name(), "--help");
      assertThat(own.code()).as("%s --help", c.name()).isZero();
      assertThat(own.out()).as("%s --help", c.name()).contains("Usage: hiformer " + c.name());
    }
  }

  @Test
  void anUnknownCommandOrOptionIsAUsageErrorNamingWhatIsAllowed() {
    Result unknown = run("trian");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err())
        .contains("unknown command 'trian'")
        .contains("evaluate")
        .contains("benchmark-serve");
    Result badOption = run("serve", "--snapshot", "x");
    assertThat(badOption.code()).isEqualTo(2);
    assertThat(badOption.err()).contains("--snapshot").contains("snapshots");
  }
}
