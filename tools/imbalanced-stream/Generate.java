import ai.hiformer.local.embedded.SyntheticStream;
import java.io.BufferedWriter;
import java.io.FileWriter;
import java.io.PrintWriter;
import java.util.SplittableRandom;

/**
 * Writes an imbalanced click stream for specs/synthetic.json as JSON lines: the generated stream of
 * {@code ./hiformer run} (SyntheticStream, seed 3) with each click kept with probability {@code
 * keep-positives} (seeded), so that clicks are rare, as in a production click stream. Run from the
 * repository root after a build:
 *
 * <pre>
 * java -cp local/target/classes:features/target/classes tools/imbalanced-stream/Generate.java \
 *   300000 0.1 /tmp/imbalanced/events.jsonl
 * </pre>
 */
public class Generate {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: Generate ROWS KEEP_POSITIVES OUT.jsonl");
      System.exit(2);
    }
    int rows = Integer.parseInt(args[0]);
    double keepPositives = Double.parseDouble(args[1]);
    SyntheticStream stream = new SyntheticStream(3);
    SplittableRandom keep = new SplittableRandom(99);
    long written = 0;
    long positives = 0;
    try (PrintWriter out = new PrintWriter(new BufferedWriter(new FileWriter(args[2])))) {
      while (written < rows) {
        SyntheticStream.Event e = stream.next();
        if (e.click() && keep.nextDouble() >= keepPositives) {
          continue;
        }
        out.printf(
            "{\"user\":\"%s\",\"segment\":\"%s\",\"item\":\"%s\",\"category\":\"%s\",\"ts\":%s,"
                + "\"price\":%s,\"click\":%s}%n",
            e.text("user"),
            e.text("segment"),
            e.text("item"),
            e.text("category"),
            e.text("ts"),
            e.text("price"),
            e.text("click"));
        written++;
        positives += e.click() ? 1 : 0;
      }
    }
    System.out.printf(
        "%d rows, %d positives (%.2f %%)%n", written, positives, 100.0 * positives / written);
  }
}
