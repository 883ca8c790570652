package ai.hiformer.local.embedded;

import ai.hiformer.features.io.Row;
import java.util.SplittableRandom;

/**
 * A generated stream with a known feature interaction, for running without any dataset: users and items
 * each belong to one of 8 groups, and a user clicks an item of the same group with probability 0.7,
 * another group's with 0.15. Neither feature alone predicts a click; their interaction does. Columns
 * match {@code specs/synthetic.json}.
 */
public final class SyntheticStream {
  private final SplittableRandom rng;
  private long t = 1_700_000_000L;

  public SyntheticStream(long seed) {
    rng = new SplittableRandom(seed);
  }

  public Row next() {
    int user = rng.nextInt(2000);
    int item = rng.nextInt(1000);
    boolean sameGroup = user % 8 == item % 8;
    boolean click = rng.nextDouble() < (sameGroup ? 0.7 : 0.15);
    double price = Math.exp(rng.nextGaussian() + 2);
    t += 1 + rng.nextInt(30);
    String[] values = {"u" + user, "i" + item, "c" + item % 40, Long.toString(t), Double.toString(price),
        click ? "1" : "0"};
    return new Row() {
      @Override
      public String text(String column) {
        return switch (column) {
          case "user" -> values[0];
          case "item" -> values[1];
          case "category" -> values[2];
          case "ts" -> values[3];
          case "price" -> values[4];
          case "click" -> values[5];
          default -> null;
        };
      }

      @Override
      public String origin() {
        return "synthetic";
      }
    };
  }
}
