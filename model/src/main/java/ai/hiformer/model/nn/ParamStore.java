package ai.hiformer.model.nn;

import ai.hiformer.model.math.Precision;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The dense parameters of one model, in registration order (which fixes initialisation order). */
public final class ParamStore {
  private final Precision precision;
  private final Map<String, Param> byName = new LinkedHashMap<>();
  private final List<Param> ordered = new ArrayList<>();
  private long version;
  private ParamStore source; // set when this store reads another's values (a read-only replica)
  private final List<ParamStore> parts =
      new ArrayList<>(); // stores whose parameters this one lists first

  /**
   * A store whose products run at the process's default precision ({@link
   * Precision#processDefault()}).
   */
  public ParamStore() {
    this(Precision.processDefault());
  }

  /**
   * @param precision the arithmetic of the products over these parameters (the model's)
   */
  public ParamStore(Precision precision) {
    this.precision = precision;
  }

  /** The arithmetic of the products over these parameters. */
  public Precision precision() {
    return precision;
  }

  /**
   * Lists {@code part}'s parameters (as they are, under their own names) before any this store
   * creates after, and passes {@link #weightsChanged()} on to it: a model made of models (a blend)
   * trains and saves them as one. Must be called before this store creates its own parameters.
   */
  public void include(ParamStore part) {
    if (!byName.isEmpty()) {
      throw new IllegalStateException("include parts before creating parameters");
    }
    parts.add(part);
    ordered.addAll(part.all());
  }

  public Param create(String name, int... shape) {
    if (byName.containsKey(name)) {
      throw new IllegalArgumentException("duplicate parameter name " + name);
    }
    Param p = new Param(name, shape);
    byName.put(name, p);
    ordered.add(p);
    return p;
  }

  public List<Param> all() {
    return Collections.unmodifiableList(ordered);
  }

  public Param get(String name) {
    Param p = byName.get(name);
    if (p == null) {
      throw new IllegalArgumentException(
          "no parameter named " + name + "; known: " + byName.keySet());
    }
    return p;
  }

  public boolean contains(String name) {
    return byName.containsKey(name);
  }

  /**
   * Counts writes to the weights, so that derived copies (the float weights of single-example
   * scoring) know when to refresh. Whoever writes parameter values outside initialisation calls
   * {@link #weightsChanged()} afterwards: the optimiser step, snapshot deltas, restoring a saved
   * state.
   */
  public long version() {
    return source != null ? source.version() : version;
  }

  /**
   * Makes every parameter read the values of the parameter of the same name in {@code source}, and
   * this store's version follow {@code source}'s (so that derived float copies refresh when the
   * source's weights change).
   */
  public void shareValuesOf(ParamStore source) {
    for (Param p : ordered) {
      p.shareValuesOf(source.get(p.name()));
    }
    this.source = source;
  }

  public void weightsChanged() {
    version++;
    for (int i = 0; i < parts.size(); i++) { // no iterator: called every training step
      parts.get(i).weightsChanged();
    }
  }

  public void zeroGrads() {
    for (Param p : ordered) {
      p.zeroGrad();
    }
  }

  public long count() {
    long n = 0;
    for (Param p : ordered) {
      n += p.size();
    }
    return n;
  }
}
