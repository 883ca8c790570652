package ai.hiformer.local.embedded;

import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.DatasetReader;
import ai.hiformer.features.io.RowSink;
import ai.hiformer.features.spec.FeatureSpec;
import ai.hiformer.local.ProjectRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * What the embedded commands replay: a dataset through its spec, by default MovieLens from {@code
 * ../shared/data} when present, otherwise the generated stream ({@link SyntheticStream}).
 */
public record ReplaySource(Path data, Path specPath, FeatureSpec spec) {
  /** The name in specs/synthetic.json: a spec by this name replays the generated stream. */
  public static final String SYNTHETIC_NAME = "synthetic";

  /** Resolves the command-line choice; {@code dataArg} and {@code specArg} may be null. */
  public static ReplaySource resolve(String dataArg, String specArg) throws IOException {
    if (dataArg == null && specArg != null) {
      // A spec without data: the generated stream if it is the generated stream's spec, else the
      // default data.
      Path spec = Paths.get(specArg);
      FeatureSpec fs = FeatureSpec.load(spec);
      return new ReplaySource(fs.name().equals(SYNTHETIC_NAME) ? null : defaultData(), spec, fs);
    }
    boolean synthetic = dataArg == null && !Files.isDirectory(defaultData());
    Path data = synthetic ? null : dataArg == null ? defaultData() : Paths.get(dataArg);
    Path spec =
        specArg != null
            ? Paths.get(specArg)
            : synthetic ? syntheticSpec() : ProjectRoot.resolve("specs/movielens.json");
    return new ReplaySource(data, spec, FeatureSpec.load(spec));
  }

  /** MovieLens 100K beside the project, the default replay when it is there. */
  public static Path defaultData() {
    return ProjectRoot.resolve("../shared/data/movielens-100k");
  }

  /** The generated stream's spec, shipped with the project. */
  public static Path syntheticSpec() {
    return ProjectRoot.resolve("specs/synthetic.json");
  }

  public boolean synthetic() {
    return data == null;
  }

  public String describe() {
    return synthetic()
        ? "a generated stream (main effects + segment x category affinity)"
        : data.toString();
  }

  /**
   * Feeds rows to the sink in stream order; the generated stream is endless, so its sink ends the
   * replay by throwing {@link Stop}.
   */
  public void read(RowSink sink) throws IOException {
    try {
      if (synthetic()) {
        SyntheticStream s = new SyntheticStream(7);
        while (true) {
          try {
            sink.accept(s.next());
          } catch (BadRowException e) {
            sink.rejected("synthetic", e.getMessage());
          }
        }
      }
      DatasetReader.forSpec(spec, data).read(sink);
    } catch (Stop stop) {
      // the sink has what it wanted
    }
  }

  /** Thrown by a sink to end the replay. */
  public static final class Stop extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Stop() {
      super(null, null, false, false);
    }
  }
}
