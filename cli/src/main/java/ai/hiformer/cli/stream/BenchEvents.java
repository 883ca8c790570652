package ai.hiformer.cli.stream;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.features.io.RowSink;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.local.embedded.IdStream;
import ai.hiformer.local.embedded.ReplaySource;
import ai.hiformer.local.embedded.RowToEvent;
import ai.hiformer.schemas.Event;
import java.util.ArrayList;
import java.util.List;

/**
 * The events a benchmark sends, made before it starts: a dataset's first rows, or generated ids.
 */
public final class BenchEvents {
  private BenchEvents() {}

  /** {@code n} events of the generated stream with {@code distinctIds} ids (model id "bench"). */
  public static List<Event> ofIds(FeatureSpec spec, int distinctIds, int n) throws Exception {
    RowToEvent convert = new RowToEvent(spec, "bench");
    IdStream stream = new IdStream(7, distinctIds);
    List<Event> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(convert.convert(stream.next(), i));
    }
    return out;
  }

  /** The source's first {@code n} events (model id "bench"). */
  public static List<Event> of(ReplaySource source, int n) throws Exception {
    RowToEvent convert = new RowToEvent(source.spec(), "bench");
    List<Event> out = new ArrayList<>(n);
    source.read(
        new RowSink() {
          @Override
          public void accept(Row row) throws BadRowException {
            if (out.size() >= n) {
              throw new ReplaySource.Stop();
            }
            out.add(convert.convert(row, out.size()));
          }

          @Override
          public void rejected(String origin, String reason) {}
        });
    return out;
  }
}
